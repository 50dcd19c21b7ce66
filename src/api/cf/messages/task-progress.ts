// Bodies of what a task reports about itself (taskd extensions): POST /v3/tasks/:guid/progress
// `{percent, message?}` and POST /v3/tasks/:guid/messages `{text}`, with CF-style 422 details,
// read into the report actions' inputs.
import type { TaskMessageInput, TaskProgressInput } from '../../../actions/task-progress.js';
import { bodyObject, raiseIfAny, unknownFields } from './common.js';

/** Longest message text; the same as a task's command. */
export const MAX_MESSAGE_LENGTH = 4096;

/** An absent or null message: the progress has none. */
export function parseTaskProgress(raw: unknown): TaskProgressInput {
  const body = bodyObject(raw);
  const errors: string[] = [];
  unknownFields(body, ['percent', 'message'], errors);
  const { percent } = body;
  const validPercent = typeof percent === 'number' && Number.isInteger(percent) && percent >= 0 && percent <= 100;
  if (!validPercent) errors.push('Percent must be an integer between 0 and 100');
  const message = body.message === undefined || body.message === null ? null : checkText(body.message, 'Message', errors);
  raiseIfAny(errors);
  return { percent: percent as number, message: message ?? null };
}

export function parseTaskMessage(raw: unknown): TaskMessageInput {
  const body = bodyObject(raw);
  const errors: string[] = [];
  unknownFields(body, ['text'], errors);
  const text = checkText(body.text, 'Text', errors);
  raiseIfAny(errors);
  return { text: text! };
}

function checkText(value: unknown, label: string, errors: string[]): string | undefined {
  if (typeof value !== 'string') {
    errors.push(`${label} must be a string`);
    return undefined;
  }
  if (value.length < 1 || value.length > MAX_MESSAGE_LENGTH) {
    errors.push(`${label} must be between 1 and ${MAX_MESSAGE_LENGTH} characters`);
    return undefined;
  }
  return value;
}

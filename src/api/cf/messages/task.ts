// POST /v3/apps/:guid/tasks and PATCH /v3/tasks/:guid bodies, with CF's messages (TaskCreateMessage,
// TaskUpdateMessage), read into the actions' inputs, and taskd's Idempotency-Key header. Rules of
// the task model itself (name, command, user, quotas) are checked by the create action, which
// joins them with the quota errors.
import { parseMetadata } from '../../../core/metadata.js';
import { unprocessable } from '../../../core/errors.js';
import type { TaskCreateInput } from '../../../actions/tasks.js';
import type { TaskUpdateInput } from '../../../actions/task-update.js';
import { bodyObject, humanize, isObject, parseMetadataUpdate, raiseIfAny, unknownFields, type Body } from './common.js';

const CREATE_KEYS = [
  'name',
  'command',
  'disk_in_mb',
  'memory_in_mb',
  'log_rate_limit_in_bytes_per_second',
  'droplet_guid',
  'template',
  'user',
  'metadata',
  'parent_task_guid',
  'timeout_in_seconds',
];

const MAX_DB_BIGINT = 9223372036854775807n;
/** tasks.timeout_seconds is an integer column. */
const MAX_DB_INTEGER = 2147483647n;

/**
 * The body as the create's input. A key absent or null is not asked for, except `name`: any other
 * value is passed on as sent, for the task model to judge. `timeout_in_seconds` and
 * `parent_task_guid` are taskd extensions.
 */
export function parseTaskCreate(raw: unknown): TaskCreateInput {
  const body = bodyObject(raw);
  const errors: string[] = [];
  unknownFields(body, CREATE_KEYS, errors);
  const diskInMb = checkInteger(body, 'disk_in_mb', { greaterThan: 0 }, errors);
  const memoryInMb = checkInteger(body, 'memory_in_mb', { greaterThan: 0 }, errors);
  const logRateLimit = checkInteger(body, 'log_rate_limit_in_bytes_per_second', { greaterThan: -2, atMost: MAX_DB_BIGINT }, errors);
  const timeoutSeconds = checkInteger(body, 'timeout_in_seconds', { greaterThan: 0, atMost: MAX_DB_INTEGER }, errors);
  const dropletGuid =
    body.droplet_guid === undefined || body.droplet_guid === null ? undefined : checkGuid(body.droplet_guid, 'droplet_guid', errors);
  const templateProcessGuid = 'template' in body ? checkGuid(templateGuidOf(body.template), 'template_process_guid', errors) : undefined;
  // Ruby truthiness: only nil and false count as missing.
  if (isFalsy(body.command) && isFalsy(body.template)) errors.push('Command No command or template provided');
  // taskd refuses what CF would fail on later with a 500.
  else if (!isFalsy(body.command) && typeof body.command !== 'string') errors.push('Command must be a string');
  const user = 'user' in body && body.user !== null ? checkUser(body.user, errors) : undefined;
  const metadata = parseMetadata(body.metadata, errors);
  const parentTaskGuid =
    body.parent_task_guid === undefined || body.parent_task_guid === null
      ? undefined
      : checkGuid(body.parent_task_guid, 'parent_task_guid', errors);
  raiseIfAny(errors);
  return {
    name: body.name === null ? undefined : body.name,
    command: typeof body.command === 'string' ? body.command : undefined,
    memoryInMb,
    diskInMb,
    logRateLimit,
    timeoutSeconds,
    dropletGuid,
    templateProcessGuid,
    user,
    metadata,
    parentTaskGuid,
  };
}

/** Only metadata may change (spec §1). */
export const parseTaskUpdate: (raw: unknown) => TaskUpdateInput = parseMetadataUpdate;

const isFalsy = (v: unknown) => v === undefined || v === null || v === false;

/** `template.process.guid`; a template or process that is not an object has no guid. */
function templateGuidOf(template: unknown): unknown {
  const process = isObject(template) ? template.process : undefined;
  return isObject(process) ? process.guid : undefined;
}

/** CF's GuidValidator: both messages when the value is not a string. */
function checkGuid(value: unknown, attr: string, errors: string[]): string | undefined {
  const label = humanize(attr);
  if (typeof value !== 'string') errors.push(`${label} must be a string`);
  if (typeof value !== 'string' || value.length < 1 || value.length > 200) {
    errors.push(`${label} must be between 1 and 200 characters`);
    return undefined;
  }
  return value;
}

/** A user name: a string of 1..255 characters (Rails measures non-strings by their text). */
function checkUser(value: unknown, errors: string[]): string | undefined {
  if (typeof value !== 'string') errors.push('User must be a string');
  const length =
    typeof value === 'string' || Array.isArray(value) ? value.length : isObject(value) ? Object.keys(value).length : String(value).length;
  if (length < 1 || length > 255) errors.push('User must be between 1 and 255 characters');
  return typeof value === 'string' && length >= 1 && length <= 255 ? value : undefined;
}

/**
 * ActiveModel's numericality with only_integer, allow_nil: numbers and numeric strings pass and
 * are coerced; anything else "is not a number"; a fraction "must be an integer".
 */
function checkInteger(body: Body, attr: string, rules: { greaterThan: number; atMost?: bigint }, errors: string[]): number | undefined {
  const value = body[attr];
  if (value === undefined || value === null) return undefined;
  const label = humanize(attr);
  const text = typeof value === 'number' ? (Number.isFinite(value) ? String(value) : '') : typeof value === 'string' ? value.trim() : '';
  if (text === '' || Number.isNaN(Number(text)) || (typeof value !== 'number' && typeof value !== 'string')) {
    errors.push(`${label} is not a number`);
    return undefined;
  }
  const isInteger = typeof value === 'number' ? Number.isInteger(value) : /^[+-]?\d+$/.test(text);
  if (!isInteger) {
    errors.push(`${label} must be an integer`);
    return undefined;
  }
  // Compared exactly: a JSON number beyond 2^53 already lost its last digits, its text did not.
  const exact = typeof value === 'number' ? BigInt(value) : BigInt(text);
  if (exact <= BigInt(rules.greaterThan)) {
    errors.push(`${label} must be greater than ${rules.greaterThan}`);
    return undefined;
  }
  if (rules.atMost !== undefined && exact > rules.atMost) {
    errors.push(`${label} must be less than or equal to ${rules.atMost}`);
    return undefined;
  }
  return Number(exact);
}

// ---- Idempotency-Key (taskd extension) ------------------------------------------------------

const PRINTABLE = /^[\x21-\x7e]([\x20-\x7e]*[\x21-\x7e])?$/;

/**
 * The header's key, or undefined when the request has none. A key is 1..255 printable ASCII
 * characters without surrounding spaces: anything else would be a key a client cannot reliably
 * send twice.
 */
export function parseIdempotencyKey(header: string | string[] | undefined): string | undefined {
  if (header === undefined) return undefined;
  const key = Array.isArray(header) ? header[0] : header;
  if (key === undefined || key.length < 1 || key.length > 255 || !PRINTABLE.test(key)) {
    throw unprocessable('Idempotency-Key must be 1 to 255 printable ASCII characters, not starting or ending with a space');
  }
  return key;
}

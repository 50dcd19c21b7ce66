// GET /v3/tasks/:guid/log?after_seq=N (taskd extension): a task's output lines with seq above N
// as NDJSON — one {"seq","time","stream","text"} object per line — while it runs and after.
// With Accept: text/event-stream the same lines come live as Server-Sent Events until the task
// ends (task-log-stream.ts); Last-Event-ID, when sent, takes the place of after_seq.
import type { AppContext } from '../../../context.js';
import type { TypedApp } from '../../typed-app.js';
import { badQuery } from '../../../core/errors.js';
import { getReadableTask } from '../../../fetchers/tasks.js';
import { listTaskLogLines } from '../../../fetchers/task-logs.js';
import { actorOf } from '../request.js';
import { GuidParams } from '../schemas.js';
import { TaskLogStreams, wantsEventStream } from '../task-log-stream.js';

/**
 * Most lines in one answer. A long task's output can be millions of lines; clients page by
 * asking again with after_seq set to the last seq they got, until an answer comes back short.
 */
export const MAX_LOG_LINES_PER_RESPONSE = 10_000;

const ALLOWED = ['after_seq'];

export function taskLogRoutes(app: TypedApp, ctx: AppContext) {
  const { db } = ctx.store;
  const streams = new TaskLogStreams(ctx, app);

  app.get('/v3/tasks/:guid/log', { schema: { params: GuidParams } }, async (request, reply) => {
    const afterSeq = parseAfterSeq(request.query as Record<string, string | string[] | undefined>);
    const live = wantsEventStream(request.headers.accept);
    const resumeAt = live ? parseLastEventId(request.headers['last-event-id']) : undefined;
    const { task } = await getReadableTask(db, actorOf(request), request.params.guid);
    if (live) {
      await streams.stream(reply, task, resumeAt ?? afterSeq);
      return reply;
    }
    const lines = await listTaskLogLines(db, task.id, afterSeq, MAX_LOG_LINES_PER_RESPONSE);
    const body = lines.map((l) => `${JSON.stringify({ seq: l.seq, time: l.time, stream: l.stream, text: l.text })}\n`).join('');
    return reply.type('application/x-ndjson').send(body);
  });
}

/** Last-Event-ID is the seq of the last line the client got; an empty one means none. */
function parseLastEventId(raw: string | string[] | undefined): number | undefined {
  const text = Array.isArray(raw) ? raw[raw.length - 1] : raw;
  if (text === undefined || text === '') return undefined;
  const n = Number(text);
  if (!/^\d+$/.test(text) || !Number.isSafeInteger(n)) throw badQuery('Last-Event-ID must be a non-negative integer');
  return n;
}

function parseAfterSeq(query: Record<string, string | string[] | undefined>): number {
  const unknown = Object.keys(query).filter((k) => !ALLOWED.includes(k));
  if (unknown.length) {
    throw badQuery(
      `Unknown query parameter(s): ${unknown.map((k) => `'${k}'`).join(', ')}. Valid parameters are: ${ALLOWED.map((k) => `'${k}'`).join(', ')}`,
    );
  }
  const raw = query.after_seq;
  if (raw === undefined) return 0;
  const text = Array.isArray(raw) ? raw[raw.length - 1] : raw;
  const n = Number(text);
  if (!/^\d+$/.test(text ?? '') || !Number.isSafeInteger(n)) throw badQuery('After seq must be a non-negative integer');
  return n;
}

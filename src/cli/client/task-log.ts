// Reading a task's output: pages of NDJSON after the end (GET /v3/tasks/:guid/log?after_seq=N),
// and the live Server-Sent Events stream (Accept: text/event-stream) until the `end` event.
// A live stream that drops — the network, a server restart — is resumed with Last-Event-ID, so
// no line is lost or shown twice.
import { setTimeout as sleep } from 'node:timers/promises';
import { query, type CfClient } from './api-client.js';
import { CliError, Unreachable } from './errors.js';

export interface LogLine {
  seq: number;
  time: string;
  stream: 'stdout' | 'stderr' | string;
  text: string;
}

export interface TaskEnd {
  state: string;
  failure_reason: string | null;
}

/** Where lines go; a promise holds the reading back (a slow terminal or pipe downstream). */
export type LineSink = (line: LogLine) => void | Promise<void>;

/** Writes a line, waiting when the stream's buffer is full rather than piling output up in memory. */
export function writeLine(stream: NodeJS.WriteStream, text: string): void | Promise<void> {
  if (stream.write(`${text}\n`)) return;
  return new Promise((resolve) => stream.once('drain', resolve));
}

/** Consecutive failed reconnections before giving up. */
const MAX_RECONNECTS = 10;
/** The server sends a heartbeat well within this; a silent connection is presumed dead. */
const IDLE_TIMEOUT_MS = 60_000;

/** Every line stored so far, page after page. */
export async function readTaskLog(client: CfClient, taskGuid: string, onLine: LineSink): Promise<void> {
  let afterSeq = 0;
  for (;;) {
    const res = await client.send(`/v3/tasks/${taskGuid}/log${query({ after_seq: afterSeq })}`, {
      headers: { accept: 'application/x-ndjson' },
    });
    const lines = (await res.text())
      .split('\n')
      .filter((l) => l !== '')
      .map((l) => JSON.parse(l) as LogLine);
    if (!lines.length) return;
    for (const line of lines) await onLine(line);
    afterSeq = lines[lines.length - 1]!.seq;
  }
}

/** The task's lines after `afterSeq` as they come, until it ends; answers how it ended. */
export async function followTaskLog(client: CfClient, taskGuid: string, onLine: LineSink, afterSeq = 0): Promise<TaskEnd> {
  let lastSeq = afterSeq;
  let failures = 0;
  for (;;) {
    let dropped: unknown;
    try {
      const end = await streamOnce(client, taskGuid, lastSeq, async (line) => {
        await onLine(line);
        lastSeq = line.seq;
        failures = 0;
      });
      if (end) return end;
    } catch (err) {
      // The API's refusals (the task is gone, the session expired) are final; anything else,
      // an unreachable server included, is a drop to resume from.
      if (err instanceof CliError && !(err instanceof Unreachable)) throw err;
      dropped = err;
    }
    if (++failures > MAX_RECONNECTS) {
      throw new CliError(`lost the task's log stream: ${dropped instanceof Error ? dropped.message : 'the server ended it'}`);
    }
    await sleep(Math.min(5000, 250 * 2 ** (failures - 1)));
  }
}

/** One connection: answers the end, or undefined when the stream stopped before it. */
async function streamOnce(client: CfClient, taskGuid: string, afterSeq: number, onLine: LineSink): Promise<TaskEnd | undefined> {
  const abort = new AbortController();
  let idle = setTimeout(() => abort.abort(), IDLE_TIMEOUT_MS);
  const res = await client.send(`/v3/tasks/${taskGuid}/log`, {
    headers: { accept: 'text/event-stream', ...(afterSeq > 0 ? { 'last-event-id': String(afterSeq) } : {}) },
    signal: abort.signal,
  });
  const parser = new EventStreamParser();
  const decoder = new TextDecoder();
  try {
    for await (const chunk of res.body as AsyncIterable<Uint8Array>) {
      clearTimeout(idle);
      idle = setTimeout(() => abort.abort(), IDLE_TIMEOUT_MS);
      for (const event of parser.push(decoder.decode(chunk, { stream: true }))) {
        if (event.type === 'end') return JSON.parse(event.data) as TaskEnd;
        if (event.type === 'message' && event.data) await onLine(JSON.parse(event.data) as LogLine);
      }
    }
    return undefined;
  } finally {
    clearTimeout(idle);
    abort.abort();
  }
}

interface ServerEvent {
  type: string;
  data: string;
  id?: string;
}

/** The text/event-stream format: events end at a blank line; `:` lines are comments (heartbeats). */
export class EventStreamParser {
  private buffer = '';
  private type = '';
  private data: string[] = [];
  private id?: string;

  push(text: string): ServerEvent[] {
    this.buffer += text;
    const events: ServerEvent[] = [];
    let newline: number;
    while ((newline = this.buffer.search(/\r\n|\r|\n/)) >= 0) {
      const line = this.buffer.slice(0, newline);
      // A lone \r at the end of a chunk may be half of \r\n: wait for the next chunk.
      if (this.buffer[newline] === '\r' && newline === this.buffer.length - 1) break;
      this.buffer = this.buffer.slice(newline + (this.buffer.startsWith('\r\n', newline) ? 2 : 1));
      if (line === '') {
        if (this.data.length || this.type) events.push({ type: this.type || 'message', data: this.data.join('\n'), id: this.id });
        this.type = '';
        this.data = [];
        continue;
      }
      if (line.startsWith(':')) continue;
      const colon = line.indexOf(':');
      const field = colon < 0 ? line : line.slice(0, colon);
      const value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
      if (field === 'event') this.type = value;
      else if (field === 'data') this.data.push(value);
      else if (field === 'id') this.id = value;
    }
    return events;
  }
}

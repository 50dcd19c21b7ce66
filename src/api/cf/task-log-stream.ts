// Live task output as Server-Sent Events (GET /v3/tasks/:guid/log with Accept: text/event-stream):
// one event per line (`id: <seq>`, data the NDJSON object), then `event: end` with the outcome.
//
// The stream is pull-based: it reads a bounded batch of lines after the last one sent, writes it,
// and waits for the socket to drain before reading more. A slow reader therefore holds one batch
// at most, and never slows the task, whose lines go to the store whatever the readers do. New
// lines are noticed through TaskSignals from this node's runner, and by a poll for tasks that run
// on another node.
//
// Server timeouts: Node applies requestTimeout only while the request is being received (for a
// GET, until its headers are parsed), so a response written for hours is not cut by it. The
// socket idle timeout (Fastify's connectionTimeout) does apply, and every write resets it: the
// heartbeat is kept well below it, so an open stream stays open, while a reader that stops
// reading altogether (nothing drains for that long) is disconnected and costs nothing after.
//
// Each user holds at most TASKD_MAX_STREAMS_PER_USER streams on this node (connection-limits.ts):
// one more is answered 429 in CF's envelope before anything is streamed, and a stream's place is
// given back when it ends, for whatever reason (the task ended, the client left, the server stops).
import type { FastifyInstance, FastifyReply } from 'fastify';
import type { ServerResponse } from 'node:http';
import type { AppContext } from '../../context.js';
import { addressKey, tenantLimitsOf } from '../connection-limits.js';
import type { TaskEnd, TaskLogLine } from '../../fetchers/task-logs.js';
import { SharedLogReads } from './shared-log-reads.js';

/** Lines read from the store at a time: a stream's memory, however much the task prints. */
const BATCH_LINES = 500;
/** How often the store is checked for lines and ends that no signal announces (other nodes). */
const POLL_MS = 1000;

export interface StreamedTask {
  id: number;
  guid: string;
}

/** Whether the client asked for the live stream rather than an NDJSON page. */
export function wantsEventStream(accept: string | undefined): boolean {
  return /\btext\/event-stream\b/i.test(accept ?? '');
}

/** The live log streams of this server, so that closing the server ends them. */
export class TaskLogStreams {
  private readonly open = new Set<() => void>();
  private readonly heartbeatMs: number;
  private readonly reads: SharedLogReads;

  constructor(
    private readonly ctx: AppContext,
    app: FastifyInstance,
  ) {
    const idleTimeout = app.initialConfig.connectionTimeout ?? 0;
    const configured = ctx.config.logStreamHeartbeatSeconds * 1000;
    this.heartbeatMs = idleTimeout > 0 ? Math.min(configured, idleTimeout / 2) : configured;
    this.reads = new SharedLogReads(ctx.store.db, BATCH_LINES);
    // Open streams would keep server.close() waiting for their clients; they end instead, and
    // their clients resume with Last-Event-ID (on another node, or once this one is back).
    app.addHook('preClose', async () => {
      for (const stop of this.open) stop();
    });
  }

  /** Answers with the task's lines after `afterSeq`, live, until the task has ended. */
  async stream(reply: FastifyReply, task: StreamedTask, afterSeq: number): Promise<void> {
    // Before the answer starts, so that a refusal is still an ordinary CF error.
    const holder = reply.request.actor?.userGuid || `address ${addressKey(reply.request.ip)}`;
    const release = tenantLimitsOf(this.ctx).holdStream(reply, holder);
    try {
      await this.follow(reply, task, afterSeq);
    } finally {
      release();
    }
  }

  private async follow(reply: FastifyReply, task: StreamedTask, afterSeq: number): Promise<void> {
    // The client may have left while the task was looked up: its 'close' has come and gone.
    reply.hijack();
    if (reply.raw.closed || reply.raw.destroyed) return;
    const res = reply.raw;
    res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache',
      // Proxies such as nginx would otherwise buffer the events.
      'x-accel-buffering': 'no',
    });
    res.flushHeaders();
    const live = new LiveStream(this.ctx, this.reads, res, task, this.heartbeatMs);
    const stop = () => live.stop();
    this.open.add(stop);
    try {
      await live.run(afterSeq);
    } finally {
      this.open.delete(stop);
    }
  }
}

class LiveStream {
  private stopped = false;
  private readonly wakeup = new Wakeup();
  /** Whether anything was written since the last heartbeat tick: busy streams need none. */
  private active = false;

  constructor(
    private readonly ctx: AppContext,
    private readonly reads: SharedLogReads,
    private readonly res: ServerResponse,
    private readonly task: StreamedTask,
    private readonly heartbeatMs: number,
  ) {}

  stop(): void {
    this.stopped = true;
    this.wakeup.ring();
  }

  async run(afterSeq: number): Promise<void> {
    const { res, task, ctx } = this;
    const stop = () => this.stop();
    // A write after the client left fails quietly; the close event ends the loop.
    const ignore = () => {};
    res.on('close', stop);
    res.on('error', ignore);
    const announced = () => {
      this.reads.announce(task.id);
      this.wakeup.ring();
    };
    this.reads.follow(task.id);
    const unsubscribe = [ctx.signals.onLogLinesWritten(task.guid, announced), ctx.signals.onTaskEnded(task.guid, announced)];
    const heartbeat = setInterval(() => this.heartbeat(), this.heartbeatMs);
    try {
      await this.pump(afterSeq);
    } catch (err) {
      ctx.log.error({ err, task: task.guid }, 'live task log stream failed');
    } finally {
      clearInterval(heartbeat);
      for (const off of unsubscribe) off();
      this.reads.unfollow(task.id);
      res.off('close', stop);
      if (!res.writableEnded) res.end();
      res.off('error', ignore);
    }
  }

  private async pump(afterSeq: number): Promise<void> {
    let lastSeq = afterSeq;
    while (!this.stopped) {
      this.wakeup.reset();
      const { end, lines } = await this.reads.read(this.task.id, lastSeq, this.reads.generationOf(this.task.id));
      if (this.stopped) return;
      if (lines.length) {
        lastSeq = lines[lines.length - 1]!.seq;
        await this.write(lines.map(lineEvent).join(''));
        if (lines.length === BATCH_LINES) continue;
      }
      if (end === 'gone') return;
      if (end) {
        await this.write(endEvent(end));
        return;
      }
      await this.wakeup.wait(POLL_MS);
    }
  }

  /** Writes, then waits until the socket has taken it (or the client left). */
  private async write(chunk: string): Promise<void> {
    if (this.stopped) return;
    this.active = true;
    if (this.res.write(chunk)) return;
    await new Promise<void>((resolve) => {
      const done = () => {
        this.res.off('drain', done);
        this.res.off('close', done);
        resolve();
      };
      this.res.on('drain', done);
      this.res.on('close', done);
    });
  }

  private heartbeat(): void {
    // A full socket is not idle, and a comment would only queue behind the lines.
    if (!this.active && !this.stopped && !this.res.writableNeedDrain) this.res.write(': keep-alive\n\n');
    this.active = false;
  }
}

function lineEvent(line: TaskLogLine): string {
  const data = JSON.stringify({ seq: line.seq, time: line.time, stream: line.stream, text: line.text });
  return `id: ${line.seq}\ndata: ${data}\n\n`;
}

function endEvent(end: TaskEnd): string {
  return `event: end\ndata: ${JSON.stringify({ state: end.state, failure_reason: end.failure_reason })}\n\n`;
}

/** A wait that a signal cuts short; a signal that comes while nobody waits counts for the next wait. */
class Wakeup {
  private rung = false;
  private cutShort?: () => void;

  readonly ring = (): void => {
    this.rung = true;
    this.cutShort?.();
  };

  reset(): void {
    this.rung = false;
  }

  wait(ms: number): Promise<void> {
    if (this.rung) return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.cutShort = undefined;
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.cutShort = done;
    });
  }
}

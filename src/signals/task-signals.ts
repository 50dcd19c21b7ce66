// Signals between parts of taskd, sent after the change has committed: from actions to the
// runner, and from the runner to live log streams. On PostgreSQL a relay (signals/pg-relay.ts)
// carries them to every other node too. They only make the listener act sooner: listeners also
// poll the store, so a signal lost on the way costs latency, never correctness.
import { EventEmitter } from 'node:events';

/** A task's end as this node's runner recorded it. */
export interface RecordedTaskEnd {
  /** The state recorded: SUCCEEDED or FAILED (a cancelled task ends FAILED whatever its process did). */
  state: string;
  startedAt: string | null;
  finishedAt: string;
  logBytesDropped: number;
}

/** A signal as it travels between nodes. */
export interface RelayedSignal {
  event: 'created' | 'cancel' | 'pause' | 'resume' | 'log-lines' | 'ended';
  taskGuid?: string;
  /** Of 'created': the new task's organization (its id in the shared store). */
  organizationId?: number;
}

const RELAYED_EVENTS: readonly string[] = ['created', 'cancel', 'pause', 'resume', 'log-lines', 'ended'];

export function isRelayedSignal(value: unknown): value is RelayedSignal {
  const signal = value as RelayedSignal | null;
  return (
    typeof signal === 'object' &&
    signal !== null &&
    RELAYED_EVENTS.includes(signal.event) &&
    (signal.taskGuid === undefined || typeof signal.taskGuid === 'string') &&
    (signal.organizationId === undefined || Number.isSafeInteger(signal.organizationId))
  );
}

export class TaskSignals {
  // One listener per live log stream: an unbounded count is expected, not a leak.
  private readonly events = new EventEmitter().setMaxListeners(0);
  /** Carries each signal to the other nodes, where there are any (set by the relay). */
  relay?: (signal: RelayedSignal) => void;

  /** A task of this organization was committed PENDING: look for work now. */
  created(organizationId: number): void {
    this.send({ event: 'created', organizationId });
  }

  /** A task was committed CANCELING or deleted: whoever runs it stops it. */
  cancelRequested(taskGuid: string): void {
    this.send({ event: 'cancel', taskGuid });
  }

  /** A task was committed PAUSING: whoever runs it freezes it. */
  pauseRequested(taskGuid: string): void {
    this.send({ event: 'pause', taskGuid });
  }

  /** A PAUSING or PAUSED task was committed RUNNING again: whoever runs it thaws it. */
  resumeRequested(taskGuid: string): void {
    this.send({ event: 'resume', taskGuid });
  }

  /** A batch of a task's output lines was committed: live log streams read on. */
  logLinesWritten(taskGuid: string): void {
    this.send({ event: 'log-lines', taskGuid });
  }

  /** A task's outcome was recorded (or its row was gone): live log streams send the rest and end. */
  taskEnded(taskGuid: string): void {
    this.send({ event: 'ended', taskGuid });
  }

  /** A signal from another node: acted on here, not sent on. */
  deliver(signal: RelayedSignal): void {
    const { event, taskGuid } = signal;
    if (event === 'created') this.events.emit('created', signal.organizationId);
    else if (event === 'cancel' || event === 'pause' || event === 'resume') this.events.emit(event, taskGuid);
    else this.events.emit(`${event}:${taskGuid}`);
  }

  private send(signal: RelayedSignal): void {
    this.deliver(signal);
    this.relay?.(signal);
  }

  /** This node's runner recorded a task's outcome: the node's metrics count it. */
  taskRecorded(end: RecordedTaskEnd): void {
    this.events.emit('recorded', end);
  }

  /** A task of this node's runner passed an output budget ('bytes', 'lines' or 'organization'): the node's metrics count it. */
  outputTruncated(reason: string): void {
    this.events.emit('output-truncated', reason);
  }

  onOutputTruncated(listener: (reason: string) => void): () => void {
    this.events.on('output-truncated', listener);
    return () => this.events.off('output-truncated', listener);
  }

  onTaskRecorded(listener: (end: RecordedTaskEnd) => void): () => void {
    this.events.on('recorded', listener);
    return () => this.events.off('recorded', listener);
  }

  /** The organization is unknown (undefined) in a signal from a node of an older taskd. */
  onCreated(listener: (organizationId: number | undefined) => void): () => void {
    this.events.on('created', listener);
    return () => this.events.off('created', listener);
  }

  onCancelRequested(listener: (taskGuid: string) => void): () => void {
    this.events.on('cancel', listener);
    return () => this.events.off('cancel', listener);
  }

  onPauseRequested(listener: (taskGuid: string) => void): () => void {
    return this.listen('pause', listener);
  }

  onResumeRequested(listener: (taskGuid: string) => void): () => void {
    return this.listen('resume', listener);
  }

  // Per-task event names, so a signal wakes only the streams of its task.

  onLogLinesWritten(taskGuid: string, listener: () => void): () => void {
    return this.listen(`log-lines:${taskGuid}`, listener);
  }

  onTaskEnded(taskGuid: string, listener: () => void): () => void {
    return this.listen(`ended:${taskGuid}`, listener);
  }

  private listen(event: string, listener: (taskGuid: string) => void): () => void {
    this.events.on(event, listener);
    return () => this.events.off(event, listener);
  }
}

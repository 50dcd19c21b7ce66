// Signals between parts of one taskd node, sent after the change has committed: from actions to
// the runner, and from the runner to live log streams. They only make the listener act sooner:
// listeners also poll the store, which is how a change made on another node reaches them.
import { EventEmitter } from 'node:events';

/** A task's end as this node's runner recorded it. */
export interface RecordedTaskEnd {
  /** The state recorded: SUCCEEDED or FAILED (a cancelled task ends FAILED whatever its process did). */
  state: string;
  startedAt: string | null;
  finishedAt: string;
  logBytesDropped: number;
}

export class TaskSignals {
  // One listener per live log stream: an unbounded count is expected, not a leak.
  private readonly events = new EventEmitter().setMaxListeners(0);

  /** A task was committed PENDING: look for work now. */
  created(): void {
    this.events.emit('created');
  }

  /** A task was committed CANCELING or deleted: whoever runs it stops it. */
  cancelRequested(taskGuid: string): void {
    this.events.emit('cancel', taskGuid);
  }

  /** A task was committed PAUSING: whoever runs it freezes it. */
  pauseRequested(taskGuid: string): void {
    this.events.emit('pause', taskGuid);
  }

  /** A PAUSING or PAUSED task was committed RUNNING again: whoever runs it thaws it. */
  resumeRequested(taskGuid: string): void {
    this.events.emit('resume', taskGuid);
  }

  /** A batch of a task's output lines was committed: live log streams read on. */
  logLinesWritten(taskGuid: string): void {
    this.events.emit(`log-lines:${taskGuid}`);
  }

  /** A task's outcome was recorded (or its row was gone): live log streams send the rest and end. */
  taskEnded(taskGuid: string): void {
    this.events.emit(`ended:${taskGuid}`);
  }

  /** This node's runner recorded a task's outcome: the node's metrics count it. */
  taskRecorded(end: RecordedTaskEnd): void {
    this.events.emit('recorded', end);
  }

  onTaskRecorded(listener: (end: RecordedTaskEnd) => void): () => void {
    this.events.on('recorded', listener);
    return () => this.events.off('recorded', listener);
  }

  onCreated(listener: () => void): () => void {
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

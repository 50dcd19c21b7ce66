// Signals from actions to this node's runner, sent after the change has committed. They only
// make the runner act sooner: runners also poll the store, which is how a change made on another
// node reaches them.
import { EventEmitter } from 'node:events';

export class TaskSignals {
  private readonly events = new EventEmitter();

  /** A task was committed PENDING: look for work now. */
  created(): void {
    this.events.emit('created');
  }

  /** A task was committed CANCELING or deleted: whoever runs it stops it. */
  cancelRequested(taskGuid: string): void {
    this.events.emit('cancel', taskGuid);
  }

  onCreated(listener: () => void): () => void {
    this.events.on('created', listener);
    return () => this.events.off('created', listener);
  }

  onCancelRequested(listener: (taskGuid: string) => void): () => void {
    this.events.on('cancel', listener);
    return () => this.events.off('cancel', listener);
  }
}

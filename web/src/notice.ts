// The one line where API errors show up, read out by screen readers as it changes.
import { ApiError, isUnreachable } from './api.js';

let line: HTMLElement | null = null;

export function attachNotice(el: HTMLElement): void {
  line = el;
}

/**
 * One readable line for a failure. `retrying` is for views that poll: they will try again by
 * themselves, and the user should know there is nothing to do but wait.
 */
export function messageOf(err: unknown, retrying = false): string {
  if (isUnreachable(err)) return retrying ? 'Cannot reach taskd; retrying…' : 'Cannot reach taskd. Is it running?';
  return err instanceof ApiError || err instanceof Error ? err.message : String(err);
}

export function showError(err: unknown, retrying = false): void {
  if (!line) return;
  line.textContent = messageOf(err, retrying);
  line.hidden = false;
}

export function clearError(): void {
  if (!line) return;
  line.textContent = '';
  line.hidden = true;
}

/** Runs an API call for a view, showing its failure instead of throwing. */
export async function reporting<T>(work: () => Promise<T>): Promise<T | undefined> {
  try {
    return await work();
  } catch (err) {
    showError(err);
    return undefined;
  }
}

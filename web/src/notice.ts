// The one line where API errors show up, read out by screen readers as it changes.
import { ApiError } from './api.js';

let line: HTMLElement | null = null;

export function attachNotice(el: HTMLElement): void {
  line = el;
}

export function showError(err: unknown): void {
  if (!line) return;
  line.textContent = err instanceof ApiError || err instanceof Error ? err.message : String(err);
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

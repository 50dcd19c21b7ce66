// Parsing run-task's option values: sizes as cf writes them, timeouts, labels.
import { InvalidArgumentError } from 'commander';

/** `512M`, `512MB`, `1G`, `1GB` or a bare number of megabytes, as cf's -m and -k take them. */
export function parseMegabytes(value: string): number {
  const m = /^(\d+)\s*(M|MB|G|GB)?$/i.exec(value.trim());
  if (!m) throw new InvalidArgumentError('expected a size such as 512M or 1G.');
  const n = Number(m[1]) * (/^g/i.test(m[2] ?? '') ? 1024 : 1);
  if (!Number.isSafeInteger(n) || n <= 0) throw new InvalidArgumentError('expected a size above zero.');
  return n;
}

export function parseSeconds(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || !Number.isSafeInteger(n) || n <= 0)
    throw new InvalidArgumentError('expected a whole number of seconds above zero.');
  return n;
}

/** Collects repeated `--label key=value` into one object. */
export function collectLabel(value: string, labels: Record<string, string> = {}): Record<string, string> {
  const eq = value.indexOf('=');
  if (eq <= 0) throw new InvalidArgumentError('expected key=value.');
  return { ...labels, [value.slice(0, eq)]: value.slice(eq + 1) };
}

export function parsePercent(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || n > 100) throw new InvalidArgumentError('expected a whole number from 0 to 100.');
  return n;
}

export function parseCount(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || !Number.isSafeInteger(n) || n <= 0) throw new InvalidArgumentError('expected a whole number above zero.');
  return n;
}

// How verbs print. Results (tables, JSON, a task's output) go to stdout; what the CLI is doing
// ("Creating task...", "OK") goes to stderr, so that stdout can be piped or parsed.
import { InvalidArgumentError } from 'commander';

export type OutputFormat = 'table' | 'json';

export function parseOutputFormat(value: string): OutputFormat {
  if (value !== 'table' && value !== 'json') throw new InvalidArgumentError("expected 'table' or 'json'.");
  return value;
}

/** A status line for the person at the terminal. */
export function note(line: string): void {
  process.stderr.write(`${line}\n`);
}

export function print(line = ''): void {
  process.stdout.write(`${line}\n`);
}

export function printJson(value: unknown): void {
  print(JSON.stringify(value, null, 2));
}

/** Columns padded to their widest cell, like cf's tables; the last column is not padded. */
export function printTable(headers: string[], rows: string[][]): void {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]!)))
      .join('   ')
      .trimEnd();
  print(line(headers));
  for (const row of rows) print(line(row));
}

/** Aligned `key: value` lines for one resource. */
export function printFields(fields: [string, string | number | null | undefined][]): void {
  const width = Math.max(...fields.map(([k]) => k.length)) + 1;
  for (const [key, value] of fields) print(`${`${key}:`.padEnd(width)}   ${value ?? ''}`);
}

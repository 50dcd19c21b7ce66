// How much of a task's output is kept: a task keeps at most its own budget of bytes and of lines,
// and an organization at most its budget of bytes over all its tasks. Output beyond is dropped,
// not the task: it runs on, and is told once (a message and a last line in its log). Pure: the
// runner's log writer (runner/task-log-writer.ts) feeds it what is stored and what comes.

/** Why a task's later output was not kept; stored in tasks.output_truncated. */
export type OutputTruncation = 'bytes' | 'lines' | 'organization';

export interface OutputBudgetLimits {
  taskMaxBytes: number;
  taskMaxLines: number;
  orgMaxBytes: number;
}

/** What is already stored: of this task, and of its organization (this task included). */
export interface StoredOutput {
  taskBytes: number;
  taskLines: number;
  orgBytes: number;
}

/** Counted the way the writer counts a stored line: the UTF-8 bytes of its text. */
export const lineBytes = (text: string): number => Buffer.byteLength(text, 'utf8');

/**
 * How many of these lines (in order) fit what is left, and why the first that does not fit was
 * refused. The lines that fit are counted as stored.
 */
export function admitLines(
  limits: OutputBudgetLimits,
  stored: StoredOutput,
  lines: readonly { text: string }[],
): { kept: number; bytes: number; refused?: OutputTruncation } {
  let bytes = 0;
  for (let kept = 0; kept < lines.length; kept++) {
    const size = lineBytes(lines[kept]!.text);
    const refused: OutputTruncation | undefined =
      stored.taskLines + kept + 1 > limits.taskMaxLines
        ? 'lines'
        : stored.taskBytes + bytes + size > limits.taskMaxBytes
          ? 'bytes'
          : stored.orgBytes + bytes + size > limits.orgMaxBytes
            ? 'organization'
            : undefined;
    if (refused) return { kept, bytes, refused };
    bytes += size;
  }
  return { kept: lines.length, bytes };
}

/** 16777216 → "16 MiB": budgets are set in round units and read back in them. */
export function formatBytes(bytes: number): string {
  for (const [unit, size] of [
    ['GiB', 1024 ** 3],
    ['MiB', 1024 ** 2],
    ['KiB', 1024],
  ] as const) {
    if (bytes >= size && bytes % size === 0) return `${bytes / size} ${unit}`;
  }
  return `${bytes} bytes`;
}

function truncationCause(reason: OutputTruncation, limits: OutputBudgetLimits): string {
  if (reason === 'lines') return `the task wrote more than ${limits.taskMaxLines} lines`;
  if (reason === 'bytes') return `the task wrote more than ${formatBytes(limits.taskMaxBytes)}`;
  return `its organization's stored task output reached its budget of ${formatBytes(limits.orgMaxBytes)}`;
}

/** The task's one message about it (source 'runner'). */
export const outputTruncatedMessage = (reason: OutputTruncation, limits: OutputBudgetLimits): string =>
  `output truncated: ${truncationCause(reason, limits)}; later output was not kept`;

/** The last line of the task's log (stderr), where whoever reads the log sees why it stops. */
export const outputTruncatedLine = (reason: OutputTruncation, limits: OutputBudgetLimits): string =>
  `taskd: output truncated: ${truncationCause(reason, limits)}; later output was not kept`;

// The supervisor's log: its stderr, a file in the run directory — on the data directory's disk,
// which can fill up. A line that cannot be written is dropped: a full disk must never stop the
// process that runs the tasks (an unwritable process.stderr would end it with an uncaught
// 'error'). Written synchronously, so a line that fits is never lost when the process exits.
import { writeSync } from 'node:fs';

/** @param {string} text */
export function note(text) {
  try {
    writeSync(2, `taskd supervisor: ${text}\n`);
  } catch {
    // Full disk, or no stderr at all: nothing better to do with it.
  }
}

// Anything else written to stderr (Node's own warnings) must not end the process either.
process.stderr.on('error', () => {});

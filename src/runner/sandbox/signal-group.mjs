// Signals a sandboxed task's process group. Its leader is bwrap's monitor process, which neither
// handles nor forwards signals: a SIGTERM reaching it would kill it at once, and with it (by
// --die-with-parent and the helper's "the task ends with its leader") the whole sandbox — so a
// task trapping SIGTERM to clean up would get no grace. Catchable signals therefore go to every
// other member of the group (read from the host's /proc, where they all keep the group); SIGKILL
// and the stop/continue pair go to the whole group, bwrap included. A process forked during the
// scan may miss a SIGTERM; it still dies with the sandbox (its pid namespace ends when the task's
// shell does) or at the SIGKILL after the grace. Plain JavaScript, Node's modules only.
import { readdirSync, readFileSync } from 'node:fs';

const WHOLE_GROUP = new Set(['SIGKILL', 'SIGSTOP', 'SIGCONT']);

/**
 * @param {number} pid
 * @param {NodeJS.Signals} sig
 */
function signal(pid, sig) {
  try {
    process.kill(pid, sig);
  } catch {
    // ESRCH: gone already.
  }
}

/**
 * Signals the group `pgid` led by bwrap, sparing the leader catchable signals.
 * @param {number} pgid
 * @param {NodeJS.Signals} sig
 */
export function signalSandboxGroup(pgid, sig) {
  if (WHOLE_GROUP.has(sig)) return signal(-pgid, sig);
  let names;
  try {
    names = readdirSync('/proc');
  } catch {
    return signal(-pgid, sig);
  }
  for (const name of names) {
    if (name.charCodeAt(0) > 57 || Number(name) === pgid) continue;
    let stat;
    try {
      stat = readFileSync(`/proc/${name}/stat`, 'latin1');
    } catch {
      continue;
    }
    // Fields after the parenthesised command: state, ppid, pgrp, …
    if (Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[2]) === pgid) signal(Number(name), sig);
  }
}

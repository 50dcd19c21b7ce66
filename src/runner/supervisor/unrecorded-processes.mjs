// The processes of a task whose start its supervisor never wrote down: it died between the spawn
// and the spool write (the task itself then counts as started, found or not: see `spawning`). Without a recorded pid, they are found by the TASKD_TASK_GUID that every
// task process (and bubblewrap, which passes its environment on) carries, so that they do not run
// on unseen. A task process that cleared its own environment is not found.
import { readdirSync, readFileSync } from 'node:fs';

/**
 * The process groups of processes whose environment names this task.
 * @param {string} id the task's guid
 * @returns {number[]}
 */
export function processGroupsOfTask(id) {
  const marker = `\0TASKD_TASK_GUID=${id}\0`;
  /** @type {Set<number>} */
  const groups = new Set();
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      if (!`\0${readFileSync(`/proc/${name}/environ`, 'latin1')}`.includes(marker)) continue;
      // Fields after the command's closing parenthesis: state, ppid, pgrp, …
      const stat = readFileSync(`/proc/${name}/stat`, 'latin1');
      const pgrp = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[2]);
      if (pgrp > 1) groups.add(pgrp);
    } catch {
      // Gone meanwhile.
    }
  }
  return [...groups];
}

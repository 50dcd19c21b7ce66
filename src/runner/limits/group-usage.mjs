// What a task's process group uses, read from /proc: how many processes it has and their
// resident memory, and how much its working directory holds. The fallback when the host
// delegates no cgroup to taskd. A process that leaves the group (setsid) escapes this count;
// a cgroup would not let it. Plain JavaScript without imports beyond Node's own.
import { lstatSync, readdirSync, readFileSync } from 'node:fs';
import { lstat, readdir } from 'node:fs/promises';
import path from 'node:path';

/**
 * Bytes per page, for /proc's page counts: this process's RSS in bytes over its RSS in pages
 * (4 KiB on most hosts, 16 or 64 KiB on some arm64 ones).
 */
function pageSize() {
  try {
    const pages = Number(readFileSync('/proc/self/statm', 'latin1').split(' ')[1]);
    const ratio = process.memoryUsage().rss / pages;
    for (const size of [4096, 16384, 65536]) if (ratio < size * 1.5) return size;
  } catch {
    // No /proc: nothing is watched anyway.
  }
  return 4096;
}
const PAGE_SIZE = pageSize();

/** @typedef {{ processes: number, rssBytes: number }} GroupUsage */

/**
 * Processes and resident bytes of each group in `pgids`, by group id, in one pass over /proc.
 * Zombies count as processes (they still hold a pid), not as memory.
 * @param {number[]} pgids
 */
export function groupUsage(pgids) {
  /** @type {Map<number, GroupUsage>} */
  const usage = new Map();
  for (const pgid of pgids) usage.set(pgid, { processes: 0, rssBytes: 0 });
  let names;
  try {
    names = readdirSync('/proc');
  } catch {
    return usage;
  }
  for (const name of names) {
    if (name.charCodeAt(0) > 57) continue; // not a pid
    let stat;
    try {
      stat = readFileSync(`/proc/${name}/stat`, 'latin1');
    } catch {
      continue; // exited meanwhile
    }
    // Fields after the parenthesised command, from field 3 (state): pgrp is field 5, rss 24.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const group = usage.get(Number(fields[2]));
    if (!group) continue;
    group.processes += 1;
    group.rssBytes += Number(fields[21]) * PAGE_SIZE;
  }
  return usage;
}

/**
 * Bytes a directory tree occupies on disk (allocated blocks, as du counts), not following links.
 * @param {string} dir
 */
export async function treeBytes(dir) {
  let total = 0;
  /** @param {string} at */
  const walk = async (at) => {
    let entries;
    try {
      entries = await readdir(at, { withFileTypes: true });
    } catch {
      return; // removed meanwhile
    }
    await Promise.all(
      entries.map(async (entry) => {
        const child = path.join(at, entry.name);
        let stats;
        try {
          stats = await lstat(child);
        } catch {
          return;
        }
        // Added after the await: `total += await …` would add to the total read before it.
        total += stats.blocks * 512;
        if (entry.isDirectory()) await walk(child);
      }),
    );
  };
  try {
    total += lstatSync(dir).blocks * 512;
  } catch {
    return 0;
  }
  await walk(dir);
  return total;
}

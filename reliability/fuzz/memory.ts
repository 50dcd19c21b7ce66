// taskd's memory, measured after garbage collection has settled, so that what remains is what
// taskd holds rather than what it has not yet freed. taskd runs in this process: the figures are
// this process's (the attacker keeps nothing between requests).
import v8 from 'node:v8';
import vm from 'node:vm';

export interface MemoryFigures {
  rssBytes: number;
  heapUsedBytes: number;
}

let collect: (() => void) | undefined;

/** A full GC, made available without --expose-gc on the command line. */
function fullGc(): void {
  if (!collect) {
    v8.setFlagsFromString('--expose-gc');
    collect = vm.runInNewContext('gc') as () => void;
  }
  collect();
}

/** Memory after a few full collections spaced out (finalizers, closed sockets, timers go first). */
export async function settledMemory(): Promise<MemoryFigures> {
  for (let i = 0; i < 4; i++) {
    fullGc();
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  const m = process.memoryUsage();
  return { rssBytes: m.rss, heapUsedBytes: m.heapUsed };
}

export const mib = (bytes: number): string => `${(bytes / 1024 / 1024).toFixed(1)} MiB`;

// The host's side of the disk attacks: the data directory's filesystem (a tmpfs of the
// campaign's own, so only taskd writes there) sampled every 100 ms from just before the task is
// created until it has ended, the largest growth of its used bytes and inodes kept.
import type { SandboxWorld } from '../tenant.js';

/**
 * What taskd itself may add to the data filesystem during one small task besides the task's
 * quota: its log lines and the SQLite write-ahead log, a copy of the droplet.
 */
export const DISK_SLACK_MB = 8;

export async function watchDisk<T>(
  world: SandboxWorld,
  work: () => Promise<T>,
): Promise<{ value: T; growthBytes: number; inodeGrowth: number }> {
  const before = world.dataUse();
  let growthBytes = 0;
  let inodeGrowth = 0;
  const sample = () => {
    const now = world.dataUse();
    growthBytes = Math.max(growthBytes, now.bytes - before.bytes);
    inodeGrowth = Math.max(inodeGrowth, now.inodes - before.inodes);
  };
  const timer = setInterval(sample, 100);
  try {
    const value = await work();
    sample();
    return { value, growthBytes, inodeGrowth };
  } finally {
    clearInterval(timer);
  }
}

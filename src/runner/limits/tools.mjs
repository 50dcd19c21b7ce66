// Running the host's mount and filesystem tools (mount, umount, mkfs, mke2fs, debugfs, fallocate)
// as root: by fixed path, with a fixed environment (nothing of the caller's reaches them), and
// their first line of complaint as the error. Plain JavaScript, Node's own imports only.
import { execFile } from 'node:child_process';
import path from 'node:path';

const TOOLS_ENV = { PATH: '/usr/sbin:/usr/bin:/sbin:/bin', LANG: 'C.UTF-8' };

/**
 * @param {string} file
 * @param {string[]} args
 * @param {number} [timeoutMs]
 * @returns {Promise<void>}
 */
export function runTool(file, args, timeoutMs = 60_000) {
  return new Promise((resolve, reject) => {
    execFile(file, args, { env: TOOLS_ENV, timeout: timeoutMs }, (err, _stdout, stderr) => {
      if (err) reject(new Error(`${path.basename(file)} failed: ${String(stderr).trim().split('\n')[0] || err.message}`));
      else resolve();
    });
  });
}

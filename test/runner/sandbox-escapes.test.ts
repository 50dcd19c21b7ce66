// The escapes a hostile tenant found (issue 15), each replayed as a task: a task is never root on
// the host, cannot write kernel settings through /proc/sys, its environment reaches no process on
// the host side (an app's LD_PRELOAD once ran as root in bwrap), files it deletes while holding
// them open still count against its disk, and its CPU is weighed and capped by a cgroup. Skipped,
// with the reason printed, where bubblewrap cannot run (and, for the cgroup and filesystem parts,
// where taskd is not root).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describeEachStore, type Harness } from '../support/harness.js';
import { probeBwrap } from '../../src/runner/sandbox/detect.js';
import { ownV1Dirs } from '../../src/runner/limits/cgroup-v1.mjs';
import { taskFilesystemSupport } from '../../src/runner/limits/mechanisms.js';
import { createDroplet, uploadBits, waitForJob } from '../droplets/helpers.js';
import { tgzOf } from '../droplets/tarballs.js';
import { createTask, eventually, hostPidsOfTask, hostWorkDir, outputOf, runnableApp, waitForTask } from './helpers.js';

const probe = probeBwrap();
const skip = probe.usable ? false : `bubblewrap is unusable here: ${probe.reason}`;
if (skip) console.log(`# sandbox escape tests skipped: ${skip}`);
const asRoot = process.getuid?.() === 0;

async function run(h: Harness, appGuid: string, command: string, extra: Record<string, unknown> = {}) {
  const created = await createTask(h, appGuid, command, extra);
  const done = await waitForTask(h, created.guid, undefined, 60_000);
  return { done, lines: (await outputOf(h, done.id)).map((l) => l.text) };
}

/** Waits until a running task has printed `line`; answers its guid. */
async function untilPrinted(h: Harness, appGuid: string, command: string, line: string): Promise<string> {
  const created = await createTask(h, appGuid, command);
  await eventually(`the task printed ${line}`, async () => {
    const row = await h.db.selectFrom('tasks').select('id').where('guid', '=', created.guid).executeTakeFirst();
    return row !== undefined && (await outputOf(h, row.id)).some((l) => l.text === line);
  });
  return created.guid;
}

describeEachStore(
  'a hostile task cannot step out of its sandbox',
  (h) => {
    test('runs as vcap (uid 2000) inside and as the task user on the host, never root; id agrees with the API', { skip }, async () => {
      const { app } = await runnableApp(h);
      const guid = await untilPrinted(h, app.guid, 'id -u; id -un; id -g; touch mine; echo ready; sleep 300', 'ready');
      const owner = statSync(path.join(hostWorkDir(h, guid), 'mine')).uid;
      assert.equal(owner, asRoot ? h.config.taskUid : process.getuid?.(), 'the file the task made belongs to the task user on the host');
      assert.notEqual(owner, 0);
      // Every process of the task on the host, bwrap included, runs as that user.
      for (const pid of hostPidsOfTask(guid)) {
        const uid = readFileSync(`/proc/${pid}/status`, 'utf8').match(/^Uid:\s+(\d+)/m)![1];
        assert.notEqual(uid, '0', `host process ${pid} of the task runs as root`);
      }
      assert.equal((await h.get(`/v3/tasks/${guid}`)).body.user ?? 'vcap', 'vcap');
      await h.post(`/v3/tasks/${guid}/actions/cancel`, {});
      const done = await waitForTask(h, guid);
      assert.deepEqual((await outputOf(h, done.id)).map((l) => l.text).slice(0, 3), ['2000', 'vcap', '2000']);
    });

    test(
      'cannot write kernel settings: /proc/sys is read-only (core_pattern, drop_caches, ip_forward, file-max, pid_max)',
      { skip },
      async () => {
        const { app } = await runnableApp(h);
        const before = readFileSync('/proc/sys/kernel/core_pattern', 'utf8');
        const settings = ['kernel/core_pattern', 'vm/drop_caches', 'net/ipv4/ip_forward', 'fs/file-max', 'kernel/pid_max'];
        const { lines } = await run(
          h,
          app.guid,
          [
            // Writes the current value back: harmless should a defence be missing.
            ...settings.map(
              (s) =>
                `v=$(cat /proc/sys/${s} 2>/dev/null || echo 1); (printf '%s\\n' "$v" > /proc/sys/${s}) 2>/dev/null && echo "${s} written" || echo "${s} refused"`,
            ),
            "grep -c ' /proc/sys ro,' /proc/self/mountinfo",
            "grep -E '^(CapEff|CapBnd|NoNewPrivs)' /proc/self/status | tr -s '\\t ' ' '",
            'sh -c "kill -SEGV \\$\\$"; echo crashed',
          ].join('; '),
        );
        assert.deepEqual(
          lines.slice(0, settings.length),
          settings.map((s) => `${s} refused`),
        );
        assert.equal(lines[settings.length], '1', '/proc/sys is mounted read-only');
        assert.deepEqual(lines.slice(settings.length + 1, settings.length + 4), [
          'CapEff: 0000000000000000',
          'CapBnd: 0000000000000000',
          'NoNewPrivs: 1',
        ]);
        assert.equal(readFileSync('/proc/sys/kernel/core_pattern', 'utf8'), before);
      },
    );

    test(
      "an app's variables (LD_PRELOAD of a library in its droplet) reach only the task's own processes, never the host side nor a command line",
      { skip },
      async (t) => {
        const cc = ['/usr/bin/cc', '/usr/bin/gcc'].find(existsSync);
        if (!cc) return t.skip('no C compiler to build the preloaded library');
        const dir = mkdtempSync(path.join(tmpdir(), 'taskd-evil-'));
        let library: Buffer;
        try {
          // Says, from whichever process loads it, who that process is.
          writeFileSync(
            path.join(dir, 'evil.c'),
            '#include <stdio.h>\n#include <unistd.h>\n__attribute__((constructor)) static void who(void) { fprintf(stderr, "evil: uid=%d\\n", (int)getuid()); }\n',
          );
          execFileSync(cc, ['-shared', '-fPIC', '-o', path.join(dir, 'evil.so'), path.join(dir, 'evil.c')], {
            env: { PATH: '/usr/bin:/bin' },
          });
          library = readFileSync(path.join(dir, 'evil.so'));
        } finally {
          rmSync(dir, { recursive: true, force: true });
        }
        // The library comes in the droplet the app pushed, as a tenant's would.
        const app = await h.app((await h.space((await h.org()).guid)).guid);
        const droplet = await createDroplet(h, app.guid);
        const upload = await uploadBits(h, droplet.guid, await tgzOf([{ name: 'evil.so', content: library, mode: 0o755 }]));
        assert.equal(upload.status, 202, upload.text);
        assert.equal((await waitForJob(h, String(upload.headers.location))).state, 'COMPLETE');
        const current = await h.patch(`/v3/apps/${app.guid}/relationships/current_droplet`, { data: { guid: droplet.guid } });
        assert.equal(current.status, 200, current.text);
        const secret = `secret-${process.pid}-${Date.now()}`;
        const res = await h.patch(`/v3/apps/${app.guid}/environment_variables`, { var: { LD_PRELOAD: './evil.so', APP_SECRET: secret } });
        assert.equal(res.status, 200, res.text);
        const guid = await untilPrinted(h, app.guid, 'echo "$APP_SECRET"; echo ready; sleep 300', 'ready');
        // On the host: bwrap's environment is taskd's choice, and no command line carries the secret.
        const bwrapPids = hostPidsOfTask(guid).filter((pid) =>
          readFileSync(`/proc/${pid}/cmdline`, 'latin1').startsWith(probe.usable ? probe.bwrap : ''),
        );
        assert.ok(bwrapPids.length > 0, 'bwrap is found on the host');
        for (const pid of bwrapPids) {
          const environ = readFileSync(`/proc/${pid}/environ`, 'latin1');
          assert.ok(
            !environ.includes('LD_PRELOAD') && !environ.includes(secret),
            `bwrap (pid ${pid}) got the app's environment: ${environ}`,
          );
        }
        for (const name of readdirSync('/proc').filter((n) => /^\d+$/.test(n))) {
          let cmdline: string;
          try {
            cmdline = readFileSync(`/proc/${name}/cmdline`, 'latin1');
          } catch {
            continue;
          }
          assert.ok(!cmdline.includes(secret), `the app's variable is on the command line of pid ${name}: ${cmdline}`);
        }
        await h.post(`/v3/tasks/${guid}/actions/cancel`, {});
        const done = await waitForTask(h, guid);
        const lines = (await outputOf(h, done.id)).map((l) => l.text);
        assert.ok(lines.includes(secret), "the task itself has the app's variable");
        assert.ok(lines.includes('evil: uid=2000'), `the library was loaded in the sandbox: ${lines.join(' | ')}`);
        assert.deepEqual(
          lines.filter((l) => l.startsWith('evil:') && l !== 'evil: uid=2000'),
          [],
          'the library ran as another user (bwrap as root?)',
        );
      },
    );

    test('files deleted while held open count against disk_in_mb: six writers of 9 MB each in 10 MB hit ENOSPC', { skip }, async (t) => {
      if (!(await taskFilesystemSupport()).usable) return t.skip(`no filesystem per task here: ${(await taskFilesystemSupport()).reason}`);
      const { app } = await runnableApp(h);
      const { done, lines } = await run(
        h,
        app.guid,
        // Each writer holds its deleted file open until all have written.
        'for i in 1 2 3 4 5 6; do (exec 3>f$i; rm f$i; dd if=/dev/zero bs=1M count=9 >&3 2>/dev/null || echo "writer $i: no space"; sleep 2) & done; sleep 1; df -k /home/vcap/app | tail -1; wait',
        { disk_in_mb: 10 },
      );
      const refused = lines.filter((l) => /^writer \d: no space$/.test(l));
      // At most one 9 MB writer fits in 10 MB; the rest ran out of space.
      assert.ok(refused.length >= 5, `only ${refused.length} writers ran out of space: ${lines.join(' | ')}`);
      assert.equal(done.state, 'SUCCEEDED', done.failure_reason ?? '');
      // While all six hold their files: the filesystem is full at its size, not 54 MB. (The app
      // directory is an overlay whose writes go to the task's filesystem, which df reports.)
      const [, sizeKb, usedKb] = lines
        .find((l) => l.startsWith('/dev/') || l.startsWith('overlay '))!
        .trim()
        .split(/\s+/);
      assert.ok(Number(sizeKb) <= 10 * 1024 && Number(usedKb) >= 8 * 1024, `the task's filesystem: ${sizeKb} KB, ${usedKb} KB used`);
    });

    test(
      "each task's CPU is weighed by its memory among its organization's tasks, organizations alike, all below taskd, and capped by a quota (cgroup cpu)",
      { skip },
      async (t) => {
        const cpu = ownV1Dirs(['cpu']).cpu;
        if (!asRoot || !cpu) return t.skip('needs root and the cgroup v1 cpu controller');
        const { app, org } = await runnableApp(h);
        const guid = await untilPrinted(h, app.guid, 'for i in 1 2 3; do (while :; do :; done) & done; echo ready; wait', 'ready');
        // The tasks' group weighs as much as one process beside it (taskd's); in it, every
        // organization's group weighs the same; in that, the task's weighs by its memory.
        const tenant = `${cpu}/taskd-tasks/org-${org.guid}`;
        const group = `${tenant}/taskd-${guid}`;
        assert.equal(readFileSync(`${cpu}/taskd-tasks/cpu.shares`, 'utf8').trim(), '1024');
        assert.equal(readFileSync(`${tenant}/cpu.shares`, 'utf8').trim(), '1024');
        assert.equal(readFileSync(`${cpu}/taskd-tasks/tasks`, 'utf8').trim(), '', 'no process sits in the tasks group itself');
        assert.equal(readFileSync(`${group}/cpu.shares`, 'utf8').trim(), '256');
        assert.equal(
          readFileSync(`${group}/cpu.cfs_quota_us`, 'utf8').trim(),
          String(Math.round(h.config.taskCpuCores * Number(readFileSync(`${group}/cpu.cfs_period_us`, 'utf8')))),
        );
        // Three busy loops on a quota of half a core are held back every period.
        await eventually(
          'the task is throttled',
          () => Number(/nr_throttled (\d+)/.exec(readFileSync(`${group}/cpu.stat`, 'utf8'))![1]) > 3,
        );
        await h.post(`/v3/tasks/${guid}/actions/cancel`, {});
        await waitForTask(h, guid);
        await eventually("its cgroup is removed, and its organization's with it", () => !existsSync(group) && !existsSync(tenant));
      },
    );
  },
  { externalUrl: undefined, cancelGraceSeconds: 1, defaultMemoryInMb: 256, taskCpuCores: 0.5 },
);

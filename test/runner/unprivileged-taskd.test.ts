// taskd run the second supported way: as a dedicated ordinary user, on a host that allows
// unprivileged user namespaces. Its sandboxed tasks are still vcap (uid 2000) with no capability,
// on taskd's own host uid; GET /v3/info says that and the weaker mechanisms (no cgroups, no
// filesystem of their own: those need root). Needs root here only to start taskd as another user.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { chownSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { probeBwrap } from '../../src/runner/sandbox/detect.js';
import { TaskdServer } from '../../reliability/disk/taskd-server.js';
import { hostPidsOfTask, sleep } from './helpers.js';
import { startFromBundle } from '../../reliability/support/taskd-process.js';
import { RUNS_COMPILED } from '../support/taskd-process.js';

// Run compiled (npm test), the taskd processes started here run taskd bundled from the code as it
// is, as TaskdProcess does (TASKD_SERVER): through tsx each took seconds of CPU to start.
if (RUNS_COMPILED) startFromBundle();

const NOBODY = { uid: 65534, gid: 65534 };
const probe = probeBwrap();
const skip =
  process.getuid?.() !== 0
    ? 'needs root to start taskd as another user'
    : probe.usable
      ? false
      : `bubblewrap is unusable here: ${probe.reason}`;
if (skip) console.log(`# unprivileged taskd test skipped: ${skip}`);

const dataDir = mkdtempSync(path.join(tmpdir(), 'taskd-unprivileged-'));
after(() => rmSync(dataDir, { recursive: true, force: true }));

/** Host uids of the task's processes. */
function hostUidsOf(guid: string): string[] {
  return hostPidsOfTask(guid).flatMap((pid) => {
    try {
      return [readFileSync(`/proc/${pid}/status`, 'utf8').match(/^Uid:\s+(\d+)/m)![1]!];
    } catch {
      return []; // gone meanwhile
    }
  });
}

test(
  'taskd as an ordinary user runs sandboxed tasks as vcap without capabilities, on its own host uid, and says so',
  { skip },
  async () => {
    chownSync(dataDir, NOBODY.uid, NOBODY.gid);
    const taskd = await TaskdServer.start(dataDir, { HOME: dataDir, TASKD_SANDBOX: 'bwrap' }, NOBODY);
    try {
      const app = await taskd.runnableApp('unprivileged');
      const created = await taskd.createTask(
        app,
        `id -u; id -un; grep -E '^(CapEff|CapBnd)' /proc/self/status | tr -s '\\t ' ' '; echo ready; sleep 300`,
      );
      assert.equal(created.status, 202, created.text);
      const guid = created.body.guid as string;
      const lines = async () =>
        String((await taskd.logOf(guid)).text)
          .trim()
          .split('\n')
          .filter(Boolean)
          .map((l) => JSON.parse(l).text);
      // Looked at once it has said all it says, so the cancel below cuts nothing short.
      for (const deadline = Date.now() + 20_000; !(await lines()).includes('ready') && Date.now() < deadline;) await sleep(50);
      const uids = hostUidsOf(guid);
      assert.ok(uids.length > 0, 'the task runs');
      assert.deepEqual([...new Set(uids)], [String(NOBODY.uid)], "every host process of the task runs as taskd's user");
      await taskd.post(`/v3/tasks/${guid}/actions/cancel`, {});
      const done = await taskd.finalTask(guid, 30_000);
      assert.equal(done?.result?.failure_reason, 'task was cancelled');
      assert.deepEqual(await lines(), ['2000', 'vcap', 'CapEff: 0000000000000000', 'CapBnd: 0000000000000000', 'ready']);
      const info = (await taskd.get('/v3/info')).body.taskd;
      assert.equal(info.task_user, `vcap (uid 2000 in the sandbox; taskd's own host uid ${NOBODY.uid})`);
      assert.deepEqual(
        [info.limits.memory, info.limits.disk, info.limits.cpu, info.limits.pause],
        ['watchdog', 'watchdog + RLIMIT_FSIZE', 'none', 'SIGSTOP to the process group'],
      );
    } finally {
      await taskd.stop();
    }
  },
);

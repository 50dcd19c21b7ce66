// The five findings of issue 15, each as the tenant who found them did it: a kernel setting
// written through /proc/sys (and a crash to fire it), an app variable that loads the tenant's
// library into a host-side process, deleted-but-open files past the disk quota, a memory size no
// host has, and a `setsid` process that runs on while its task is paused.
import { existsSync, readFileSync } from 'node:fs';
import {
  type Attack,
  ending,
  excerpt,
  expectErrnos,
  judge,
  lineStarting,
  linesMatching,
  MB,
  missingTools,
  notContained,
  skipped,
  sleepMs,
} from '../attack.js';
import { describePids, hostCorePattern, statInTask, taskProcesses, waitForTaskProcesses, type HostProcess } from '../host.js';
import { TASK_UID } from '../tenant.js';
import { watchDisk, DISK_SLACK_MB } from './disk-watch.js';

/** The knobs the issue found writable besides core_pattern; opened for writing, never written. */
const ISSUE_KNOBS = ['/proc/sys/vm/drop_caches', '/proc/sys/net/ipv4/ip_forward', '/proc/sys/fs/file-max', '/proc/sys/kernel/pid_max'];
const EROFS = 30;
const EACCES = 13;
/** A read-only mount answers EROFS; the task's uid meets EACCES first on root's files. */
const NOT_WRITABLE = [EROFS, EACCES];

const corePattern: Attack = {
  id: 'core-pattern',
  title: 'write core_pattern (its own value back) and other kernel knobs through /proc/sys',
  covers: 'issue finding 1; §5.1; P2',
  quick: true,
  async run({ world, corePattern: before }) {
    const why = missingTools('python3');
    if (why) return skipped(why);
    const run = await world.run(
      world.apps.plain,
      `python3 probe.py writeback /proc/sys/kernel/core_pattern 2>&1; python3 probe.py openw ${ISSUE_KNOBS.join(' ')} 2>&1; awk '$5 == "/proc/sys" {print "mount", $5, $6}' /proc/self/mountinfo`,
    );
    const { problems, seen } = expectErrnos(run.output, [
      ['writeback', '/proc/sys/kernel/core_pattern', NOT_WRITABLE],
      ...ISSUE_KNOBS.map((k): [string, string, number[]] => ['openw', k, NOT_WRITABLE]),
    ]);
    const mount = lineStarting(run.output, 'mount /proc/sys ');
    if (!mount || !/^mount \/proc\/sys ro[,\s]/.test(`${mount} `))
      problems.push(`/proc/sys is not a read-only mount (mountinfo: ${mount ?? 'no /proc/sys mount'})`);
    if (hostCorePattern() !== before) problems.push(`the host's core_pattern changed to ${JSON.stringify(hostCorePattern())}`);
    return judge(problems, `${seen}; ${mount ?? 'no /proc/sys mount'}`);
  },
};

const corePatternCrash: Attack = {
  id: 'core-pattern-crash',
  title: 'try core_pattern, then crash a process (kill -SEGV $$)',
  covers: 'issue finding 1; §5.1; P2',
  async run({ world, corePattern: before }) {
    const why = missingTools('python3');
    if (why) return skipped(why);
    const run = await world.run(
      world.apps.plain,
      `python3 probe.py writeback /proc/sys/kernel/core_pattern >/dev/null 2>&1; sh -c 'kill -SEGV $$'; echo "crash status=$?"`,
    );
    const problems: string[] = [];
    if (!lineStarting(run.output, 'crash status=139')) problems.push(`the crash did not happen as expected (${excerpt(run.output, 120)})`);
    const after = hostCorePattern();
    if (after !== before) problems.push(`the host's core_pattern is now ${JSON.stringify(after)}`);
    return judge(
      problems,
      `crash status ${lineStarting(run.output, 'crash status=')?.slice(13) ?? '?'}, host core_pattern ${after === before ? 'unchanged' : 'CHANGED'} (${JSON.stringify(after.trim())})`,
    );
  },
};

const ldPreload: Attack = {
  id: 'ld-preload',
  title: "app variable LD_PRELOAD=./evil.so (the droplet's library, constructor reports getuid())",
  covers: 'issue finding 2; §5.4; P4',
  quick: true,
  async run({ world, droplet, marks }) {
    if (droplet.noLibrary) return skipped(droplet.noLibrary);
    const run = await world.run(world.apps.preload, 'id -u');
    const loads = linesMatching(run.output, /^evil\.so loaded /);
    const problems: string[] = [];
    const asRoot = loads.filter((l) => /\b(uid|euid)=0\b/.test(l));
    if (asRoot.length) problems.push(`the library ran as root: ${asRoot.slice(0, 2).join(' / ')}`);
    if (existsSync(marks.preload))
      problems.push(
        `it ran outside the sandbox, on the host: ${readFileSync(marks.preload, 'utf8').trim().split('\n').slice(0, 2).join(' / ')}`,
      );
    const inside = loads.filter((l) => l.includes(`uid=${TASK_UID} euid=${TASK_UID} `));
    if (!inside.length)
      problems.push(`it never ran in the task's own processes as uid ${TASK_UID} (a tenant's variable must reach the task's shell)`);
    return judge(
      problems,
      `${loads.length} loads: ${[...new Set(loads.map((l) => l.replace(/ pid=\d+/, '')))].slice(0, 3).join(' / ') || 'none'}; host mark ${existsSync(marks.preload) ? 'written' : 'absent'}; ${ending(run)}`,
    );
  },
};

const DELETED_QUOTA_MB = 10;
const WRITERS = 6;
const EACH_MB = 9;

const deletedOpenFiles: Attack = {
  id: 'deleted-open-files',
  title: `${WRITERS} processes each write ${EACH_MB} MB to a deleted-but-open file, disk_in_mb ${DELETED_QUOTA_MB}`,
  covers: 'issue finding 3; §5.30; P11',
  exclusive: true,
  quick: true,
  async run({ world }) {
    const writer = (i: number) =>
      `( exec 3>held${i}; rm held${i}; r=$(dd if=/dev/zero bs=1M count=${EACH_MB} 2>&1 >&3); echo "writer ${i}: $(echo "$r" | tr '\\n' ' ')"; sleep 3 ) &`;
    const command = `cd /home/vcap/app; ${Array.from({ length: WRITERS }, (_, i) => writer(i + 1)).join(' ')} wait; echo writers done`;
    const { value: run, growthBytes } = await watchDisk(world, () =>
      world.run(world.apps.plain, command, { disk_in_mb: DELETED_QUOTA_MB }),
    );
    const copied = linesMatching(run.output, /^writer \d+:/).map((l) => Number(/(\d+) bytes .*copied/.exec(l)?.[1] ?? 0));
    const total = copied.reduce((a, b) => a + b, 0);
    const refused = linesMatching(run.output, /^writer \d+:.*(No space left on device|Disk quota exceeded)/).length;
    const diskReason = run.failureReason === `Disk limit of ${DELETED_QUOTA_MB} MB exceeded`;
    const problems: string[] = [];
    if (growthBytes > (DELETED_QUOTA_MB + DISK_SLACK_MB) * MB)
      problems.push(`host disk use grew ${(growthBytes / MB).toFixed(1)} MB, over the ${DELETED_QUOTA_MB} MB quota`);
    if (run.state === 'SUCCEEDED' && total > DELETED_QUOTA_MB * MB)
      problems.push(`the task SUCCEEDED having written ${(total / MB).toFixed(1)} MB`);
    if (!refused && !diskReason) problems.push('no writer was refused (ENOSPC/EDQUOT) and the task was not failed for its disk limit');
    return judge(
      problems,
      `written ${(total / MB).toFixed(1)} MB by ${copied.length} writers, ${refused} refused; host disk grew ${(growthBytes / MB).toFixed(1)} MB; ${ending(run)}`,
    );
  },
};

const memoryMaximum: Attack = {
  id: 'memory-maximum',
  title: 'memory_in_mb 99999999999999 on task create',
  covers: 'issue finding 4; P8',
  quick: true,
  async run({ world }) {
    const res = await world.createTask(world.apps.plain, 'echo accepted', { memory_in_mb: 99999999999999 });
    const err = res.body?.errors?.[0];
    const seen = `${res.status} ${err ? `${err.title} ${err.code} "${err.detail}"` : res.text.slice(0, 120)}`;
    if (res.status === 202) {
      await world.cancel(res.body.guid);
      return notContained(`accepted (202): no maximum for memory_in_mb | seen: ${seen}`);
    }
    const problems: string[] = [];
    if (res.status !== 422) problems.push(`answered ${res.status}, expected 422`);
    if (err?.title !== 'CF-UnprocessableEntity' || err?.code !== 10008) problems.push('not a CF-UnprocessableEntity (10008) error');
    if (!/memory/i.test(String(err?.detail))) problems.push('the detail does not name memory');
    return judge(problems, seen);
  },
};

const PAUSED_WATCH_MS = 4000;

const pauseSetsid: Attack = {
  id: 'pause-setsid',
  title: 'a setsid loop keeps writing while the task is PAUSED',
  covers: 'issue finding 5; §5.35; P12',
  quick: true,
  async run({ world }) {
    const res = await world.createTask(
      world.apps.plain,
      `setsid sh -c 'while :; do date +%s%N >> /home/vcap/app/ticks; sleep 0.1; done' & sleep 120`,
    );
    if (res.status !== 202) return notContained(`create refused: ${res.status} ${res.text.slice(0, 200)}`);
    const guid = res.body.guid as string;
    const ticksSeenBy = (procs: HostProcess[]) => {
      for (const p of procs) {
        const st = statInTask(p.pid, '/home/vcap/app/ticks');
        if (st) return st.size;
      }
      return undefined;
    };
    const ticks = () => ticksSeenBy(taskProcesses(guid));
    try {
      // Judged on the processes the wait found: a second scan of /proc could see them appear
      // when the first had not, and the wait would then end with none.
      const procs = await waitForTaskProcesses(guid, 20_000, (found) => (ticksSeenBy(found) ?? 0) > 0);
      if (!procs.length)
        return notContained(
          `the task's tick file never appeared on the host side (${ending(await world.finish(guid, performance.now(), 1000))})`,
        );
      const pause = await world.call('POST', `/v3/tasks/${guid}/actions/pause`, world.developerToken);
      if (pause.status !== 202) return notContained(`pause answered ${pause.status}: ${pause.text.slice(0, 200)}`);
      if (!(await world.waitTaskdState(guid, 'PAUSED', 10_000)))
        return notContained(`never PAUSED (taskd_state ${(await world.task(guid))?.taskd_state})`);
      await sleepMs(1000);
      const atPause = ticks();
      await sleepMs(PAUSED_WATCH_MS);
      const later = ticks();
      const states = describePids(taskProcesses(guid));
      const resume = await world.call('POST', `/v3/tasks/${guid}/actions/resume`, world.developerToken);
      await world.waitTaskdState(guid, 'RUNNING', 10_000);
      await sleepMs(2000);
      const resumed = ticks();
      const problems: string[] = [];
      if (atPause === undefined || later === undefined) problems.push('the tick file could not be read while paused');
      else if (later !== atPause)
        problems.push(`the setsid loop kept writing while PAUSED (${atPause} → ${later} bytes in ${PAUSED_WATCH_MS / 1000} s)`);
      if (resume.status !== 202) problems.push(`resume answered ${resume.status}`);
      else if (!(resumed !== undefined && later !== undefined && resumed > later))
        problems.push(`the loop did not go on after resume (${later} → ${resumed} bytes)`);
      return judge(
        problems,
        `tick file ${atPause} → ${later} bytes over ${PAUSED_WATCH_MS / 1000} s PAUSED, ${resumed} after resume; processes while paused: ${states}`,
      );
    } finally {
      await world.cancel(guid);
      await world.waitFinal(guid, 15_000);
    }
  },
};

export const findingAttacks: Attack[] = [corePattern, corePatternCrash, ldPreload, deletedOpenFiles, memoryMaximum, pauseSetsid];

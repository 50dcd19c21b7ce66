// Exhausting the host: processes, memory, CPU, disk bytes (in /tmp, $HOME and the app folder, by
// preallocation, by sparse files) and inodes. Each limit must stop the task at its own quota —
// an error inside the task (ENOSPC, fork refused) or the limit's failure reason — and the host
// must not pay more than that quota, measured on the host.
import {
  type Attack,
  ending,
  excerpt,
  judge,
  lineStarting,
  linesMatching,
  MB,
  missingTools,
  notContained,
  skipped,
  sleepMs,
} from '../attack.js';
import {
  cgroupDirOf,
  cpuSecondsOf,
  describePids,
  keyedNumbers,
  readNumber,
  taskProcesses,
  waitForTaskGone,
  waitForTaskProcesses,
} from '../host.js';
import { MAX_PROCESSES } from '../tenant.js';
import { DISK_SLACK_MB, watchDisk } from './disk-watch.js';

const BOMB = 2000;

const forkBomb: Attack = {
  id: 'fork-bomb',
  title: `${BOMB} background sleeps from one shell`,
  covers: '§5.26; P9',
  exclusive: true,
  async run({ world }) {
    const started = performance.now();
    const res = await world.createTask(
      world.apps.plain,
      `i=0; while [ $i -lt ${BOMB} ]; do sleep 20 & i=$((i+1)); done; echo "spawned=$i"; wait`,
      { timeout_in_seconds: 40 },
    );
    if (res.status !== 202) return notContained(`create refused: ${res.status}`);
    const guid = res.body.guid as string;
    let most = 0;
    let pidsMax: number | undefined;
    const timer = setInterval(() => {
      const ps = taskProcesses(guid);
      most = Math.max(most, ps.length);
      const dir = ps[0] && pidsMax === undefined ? cgroupDirOf(ps[0].pid, 'pids') : undefined;
      if (dir) pidsMax = readNumber(`${dir}/pids.max`);
    }, 200);
    const run = await world.finish(guid, started, 60_000).finally(() => clearInterval(timer));
    const left = await waitForTaskGone(guid, 5000);
    const problems: string[] = [];
    if (most > MAX_PROCESSES + 4) problems.push(`${most} processes of the task were seen on the host at once (limit ${MAX_PROCESSES})`);
    if (lineStarting(run.output, `spawned=${BOMB}`)) problems.push(`all ${BOMB} processes were started`);
    const refused = linesMatching(run.output, /Cannot fork|Resource temporarily unavailable/).length;
    if (run.failureReason !== `Process limit of ${MAX_PROCESSES} exceeded` && !refused)
      problems.push(`neither a refused fork nor "Process limit of ${MAX_PROCESSES} exceeded" (${ending(run)})`);
    if (left.length) problems.push(`processes left after the end: ${describePids(left)}`);
    return judge(problems, `at most ${most} processes seen, pids.max ${pidsMax ?? 'unknown'}, ${refused} refused forks; ${ending(run)}`);
  },
};

const MEMORY_MB = 64;

const memoryHog: Attack = {
  id: 'memory-hog',
  title: `allocate and touch 512 MB with memory_in_mb ${MEMORY_MB}`,
  covers: '§5.27; P8',
  async run({ world }) {
    const why = missingTools('python3');
    if (why) return skipped(why);
    const run = await world.run(world.apps.plain, `python3 -c 'b = bytearray(512 << 20); print("allocated", len(b))'`, {
      memory_in_mb: MEMORY_MB,
    });
    const problems: string[] = [];
    if (lineStarting(run.output, 'allocated')) problems.push(`the allocation succeeded: ${lineStarting(run.output, 'allocated')}`);
    if (run.failureReason !== `Memory limit of ${MEMORY_MB} MB exceeded`)
      problems.push(`ended ${ending(run)}, expected "Memory limit of ${MEMORY_MB} MB exceeded"`);
    return judge(problems, ending(run));
  },
};

const BUSY = 64;
const CPU_WATCH_MS = 5000;

const cpuHog: Attack = {
  id: 'cpu-busy-loops',
  title: `${BUSY} busy loops, CPU measured on the host for ${CPU_WATCH_MS / 1000} s`,
  covers: '§5.34; P10; issue finding 5 (no CPU limit)',
  exclusive: true,
  async run({ world }) {
    const res = await world.createTask(world.apps.plain, `for i in $(seq ${BUSY}); do (while :; do :; done) & done; sleep 60`);
    if (res.status !== 202) return notContained(`create refused: ${res.status}`);
    const guid = res.body.guid as string;
    try {
      const procs = await waitForTaskProcesses(guid, 20_000, (ps) => ps.length >= BUSY);
      if (!procs.length) return notContained(`the busy loops never all started (${describePids(taskProcesses(guid))})`);
      const busy = procs.find((p) => p.comm === 'sh' && !p.inHostPidNamespace) ?? procs[0]!;
      const dir = cgroupDirOf(busy.pid, 'cpu');
      const supervisor = world.supervisorPid();
      const supervisorDir = supervisor === undefined ? undefined : cgroupDirOf(supervisor, 'cpu');
      if (dir === undefined && supervisorDir === undefined) return skipped('no cgroup v1 cpu controller is mounted on this host');
      const quota = dir ? readNumber(`${dir}/cpu.cfs_quota_us`) : undefined;
      const period = dir ? readNumber(`${dir}/cpu.cfs_period_us`) : undefined;
      const shares = dir ? readNumber(`${dir}/cpu.shares`) : undefined;
      const pids = procs.map((p) => p.pid);
      const before = {
        stat: keyedNumbers(`${dir}/cpu.stat`),
        cpu: new Map(pids.map((pid) => [pid, cpuSecondsOf(pid)])),
        at: performance.now(),
      };
      await sleepMs(CPU_WATCH_MS);
      const stat = keyedNumbers(`${dir}/cpu.stat`);
      const wall = (performance.now() - before.at) / 1000;
      let used = 0;
      for (const pid of pids) {
        const now = cpuSecondsOf(pid);
        if (now > 0) used += now - before.cpu.get(pid)!;
      }
      const throttled = (stat.nr_throttled ?? 0) - (before.stat.nr_throttled ?? 0);
      const cores = quota && period && quota > 0 ? quota / period : undefined;
      const problems: string[] = [];
      if (!dir || dir === supervisorDir) problems.push(`the task has no cpu cgroup of its own (it is in ${dir ?? 'none'})`);
      else if (!cores) problems.push(`no CFS quota on the task's cpu cgroup (cpu.cfs_quota_us ${quota})`);
      // Throttled, or within its quota anyway (on a busy host the loops may never reach it).
      else if (throttled <= 0 && used > cores * wall * 1.15 + 0.3)
        problems.push(
          `used ${used.toFixed(1)} CPU s in ${wall.toFixed(1)} s, over its quota of ${cores.toFixed(2)} cores, never throttled`,
        );
      const where = dir?.replace(/^\/sys\/fs\/cgroup\//, '') ?? 'none';
      return judge(
        problems,
        `cpu cgroup ${where}, quota ${quota}/${period} µs, shares ${shares}, nr_throttled +${throttled}, ${used.toFixed(1)} CPU s in ${wall.toFixed(1)} s (${(used / wall).toFixed(2)} cores)`,
      );
    } finally {
      await world.cancel(guid);
      await world.waitFinal(guid, 15_000);
    }
  },
};

const FILL_QUOTA_MB = 16;
const FILL_FILE_MB = 15;

/** Three files just under the quota each (so no per-file limit stops them): the filesystem must. */
function fillAttack(id: string, dir: string, covers: string): Attack {
  return {
    id,
    title: `fill ${dir}: three ${FILL_FILE_MB} MB files, disk_in_mb ${FILL_QUOTA_MB}`,
    covers,
    exclusive: true,
    async run({ world }) {
      const command = `for i in 1 2 3; do echo "file $i: $(dd if=/dev/zero of=${dir}/fill$i bs=1M count=${FILL_FILE_MB} 2>&1 | tr '\\n' ' ')"; done`;
      const { value: run, growthBytes } = await watchDisk(world, () => world.run(world.apps.plain, command, { disk_in_mb: FILL_QUOTA_MB }));
      const files = linesMatching(run.output, /^file \d:/);
      const total = files.map((l) => Number(/(\d+) bytes .*copied/.exec(l)?.[1] ?? 0)).reduce((a, b) => a + b, 0);
      const refused = files.filter((l) => /No space left on device|Disk quota exceeded/.test(l)).length;
      const problems: string[] = [];
      if (total > FILL_QUOTA_MB * MB) problems.push(`${(total / MB).toFixed(1)} MB were written, over the ${FILL_QUOTA_MB} MB quota`);
      if (!refused) problems.push(`no write was refused with ENOSPC/EDQUOT (${ending(run)})`);
      if (growthBytes > (FILL_QUOTA_MB + DISK_SLACK_MB) * MB) problems.push(`host disk use grew ${(growthBytes / MB).toFixed(1)} MB`);
      return judge(
        problems,
        `${(total / MB).toFixed(1)} MB written, ${refused} refused; host disk grew ${(growthBytes / MB).toFixed(1)} MB; ${ending(run)}`,
      );
    },
  };
}

const INODES_TRIED = 100_000;

const inodes: Attack = {
  id: 'inode-exhaustion',
  title: `${INODES_TRIED} empty files, disk_in_mb ${FILL_QUOTA_MB}`,
  covers: '§5.31; P11',
  exclusive: true,
  async run({ world }) {
    const why = missingTools('python3');
    if (why) return skipped(why);
    const { value: run, inodeGrowth } = await watchDisk(world, () =>
      world.run(
        world.apps.plain,
        `mkdir -p /home/vcap/app/many && python3 probe.py files /home/vcap/app/many ${INODES_TRIED} 2>&1`,
        { disk_in_mb: FILL_QUOTA_MB, timeout_in_seconds: 60 },
        90_000,
      ),
    );
    const line = lineStarting(run.output, 'files made=');
    const problems: string[] = [];
    if (!line) problems.push(`no result (${ending(run)})`);
    else if (!/errno=(28|122) /.test(line)) problems.push(`${line}: not stopped by ENOSPC/EDQUOT`);
    return judge(problems, `${line ?? excerpt(run.output, 100)}; host inodes grew ${inodeGrowth}; ${ending(run)}`);
  },
};

const TIB = 1024 ** 4;

const sparse: Attack = {
  id: 'sparse-file',
  title: `truncate -s 1T and write 1 MB into it, disk_in_mb ${FILL_QUOTA_MB}`,
  covers: '§5.32; P11',
  exclusive: true,
  async run({ world }) {
    const command = `cd /home/vcap/app; truncate -s 1T sparse 2>&1; echo "truncate exit=$?"; dd if=/dev/zero of=sparse bs=1M count=1 seek=4 conv=notrunc 2>&1 | tail -n 1; stat -c 'sparse size=%s blocks=%b' sparse 2>&1`;
    const { value: run, growthBytes } = await watchDisk(world, () => world.run(world.apps.plain, command, { disk_in_mb: FILL_QUOTA_MB }));
    const truncated = lineStarting(run.output, 'truncate exit=') === 'truncate exit=0';
    const st = /sparse size=(\d+) blocks=(\d+)/.exec(run.output);
    const problems: string[] = [];
    if (growthBytes > (FILL_QUOTA_MB + DISK_SLACK_MB) * MB) problems.push(`host disk use grew ${(growthBytes / MB).toFixed(1)} MB`);
    if (truncated && !(st && Number(st[1]) === TIB && Number(st[2]) * 512 <= 2 * MB))
      problems.push(`the sparse file is not sparse: ${st?.[0] ?? 'no stat'}`);
    if (!lineStarting(run.output, 'truncate exit=')) problems.push(`no result (${ending(run)})`);
    return judge(
      problems,
      `${lineStarting(run.output, 'truncate exit=')}, ${st?.[0] ?? 'no stat'}; host disk grew ${(growthBytes / MB).toFixed(1)} MB; ${ending(run)}`,
    );
  },
};

const fallocate: Attack = {
  id: 'fallocate',
  title: `fallocate -l 1T, then four 12 MB preallocations, disk_in_mb ${FILL_QUOTA_MB}`,
  covers: '§5.33; P11',
  exclusive: true,
  async run({ world }) {
    const why = missingTools('fallocate');
    if (why) return skipped(why);
    const command = `cd /home/vcap/app; fallocate -l 1T huge 2>&1; echo "1T exit=$?"; for i in 1 2 3 4; do echo "pre$i: $(fallocate -l 12M pre$i 2>&1; echo exit=$?)"; done`;
    const { value: run, growthBytes } = await watchDisk(world, () => world.run(world.apps.plain, command, { disk_in_mb: FILL_QUOTA_MB }));
    const pres = linesMatching(run.output, /^pre\d:/);
    const made = pres.filter((l) => l.endsWith('exit=0')).length;
    const refused = pres.filter((l) => /No space left on device|Disk quota exceeded/.test(l)).length;
    const problems: string[] = [];
    const oneTiB = lineStarting(run.output, '1T exit=');
    if (!oneTiB || oneTiB === '1T exit=0') problems.push(`fallocate -l 1T: ${oneTiB ?? 'no result'}`);
    if (made > 1) problems.push(`${made} of the 12 MB preallocations succeeded (${made * 12} MB in a ${FILL_QUOTA_MB} MB quota)`);
    if (!refused) problems.push('no preallocation was refused with ENOSPC/EDQUOT');
    if (growthBytes > (FILL_QUOTA_MB + DISK_SLACK_MB) * MB) problems.push(`host disk use grew ${(growthBytes / MB).toFixed(1)} MB`);
    return judge(
      problems,
      `${lineStarting(run.output, '1T exit=')}, ${made}/4 preallocations made, ${refused} refused; host disk grew ${(growthBytes / MB).toFixed(1)} MB; ${ending(run)}`,
    );
  },
};

export const resourceAttacks: Attack[] = [
  forkBomb,
  memoryHog,
  cpuHog,
  fillAttack('fill-tmp', '/tmp', '§5.28; P8, P11'),
  fillAttack('fill-home', '/home/vcap', '§5.28; P8, P11'),
  fillAttack('fill-app-folder', '/home/vcap/app', '§5.29; P11'),
  inodes,
  sparse,
  fallocate,
];

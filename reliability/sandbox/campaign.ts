// The hostile-tenant campaign: every attack of attacks/ against one real taskd, the attacks that
// read host-wide figures (disk, CPU) one at a time first, then the others three at a time. After
// each attack taskd must still serve (/healthz 200, an `echo ok` task SUCCEEDED), and once more at
// the end. Everything started here — taskd, the sentinels, the abstract socket, the data
// filesystem — is stopped, unmounted and removed whatever happens.
import { existsSync } from 'node:fs';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import type { Attack, AttackContext, Verdict } from './attack.js';
import { findingAttacks } from './attacks/findings.js';
import { identityAttacks } from './attacks/identity.js';
import { kernelAttacks } from './attacks/kernel.js';
import { resourceAttacks } from './attacks/resources.js';
import { tenancyAttacks } from './attacks/tenancy.js';
import { buildDroplet } from './droplet.js';
import { AbstractSocket, hostCorePattern, Sentinels } from './host.js';
import { SandboxWorld, TASK_UID, type AppVariables } from './tenant.js';

/** The findings of the issue first, then the rest by theme. */
export const ATTACKS: Attack[] = [...findingAttacks, ...identityAttacks, ...kernelAttacks, ...resourceAttacks, ...tenancyAttacks];

const PARALLEL = 3;
/** One attack that takes longer than this counts as not contained: taskd or the task hung. */
const ATTACK_WITHIN_MS = 150_000;

export interface AttackResult {
  attack: Attack;
  verdict: Verdict;
  seconds: number;
  /** What was wrong with taskd's serving right after the attack; undefined when it served. */
  servingAfter?: string;
}

export interface CampaignResult {
  results: AttackResult[];
  /** What was wrong with taskd's serving after the whole campaign; undefined when it served. */
  servingAtEnd?: string;
  seconds: number;
  /** Why the campaign could not run here at all. */
  skipped?: string;
  /** The evil.so could not be built (attacks that need it were skipped). */
  noLibrary?: string;
  /** What taskd left behind once stopped: processes, cgroups, mounts, loop devices. */
  leftovers: string[];
}

/** Why the campaign cannot run on this host, or undefined when it can. */
export function cannotRunHere(): string | undefined {
  if (process.platform !== 'linux') return 'the sandbox is Linux only';
  if (process.getuid?.() !== 0)
    return 'needs root: the campaign attacks taskd as it runs as root (README quick start), and mounts its data filesystem';
  if (!['/usr/bin/bwrap', '/usr/local/bin/bwrap', '/bin/bwrap'].some((f) => existsSync(f))) return 'bubblewrap (bwrap) is not installed';
  return undefined;
}

const INJECTION_VARIABLES: Record<string, string> = {
  NEWLINE_VALUE: 'line one\n--bind / /hostroot\n--setenv LD_PRELOAD /home/vcap/app/evil.so\nline four',
  OPTION_VALUE: '--setenv LD_PRELOAD /home/vcap/app/evil.so --bind / /hostroot',
  EQUALS_VALUE: 'a=b=c --chdir=/',
  CONTROL_VALUE: 'bell\u0007 escape\u001b[31m del\u007f tab\t end',
  BIG_VALUE: `--bind / /hostroot ${'x'.repeat(100_000)}`,
};

function appVariables(marksDir: string, tenantMark: string): AppVariables {
  const library = './evil.so /home/vcap/app/evil.so';
  return {
    plain: { TENANT_MARK: tenantMark },
    preload: { LD_PRELOAD: library, EVIL_MARK: path.join(marksDir, 'preload') },
    loaders: {
      LD_AUDIT: library.replace(' ', ':'),
      GCONV_PATH: '/home/vcap/app',
      BASH_ENV: '/home/vcap/app/evil.sh',
      ENV: '/home/vcap/app/evil.sh',
      LD_LIBRARY_PATH: '/home/vcap/app',
      GLIBC_TUNABLES: 'glibc.malloc.mmap_threshold=4096',
      PATH: '/home/vcap/app:/usr/bin:/bin',
      EVIL_MARK: path.join(marksDir, 'loaders'),
    },
    injection: INJECTION_VARIABLES,
  };
}

async function judged(attack: Attack, ctx: AttackContext): Promise<Verdict> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      attack.run(ctx),
      new Promise<Verdict>((resolve) => {
        timer = setTimeout(
          () => resolve({ outcome: 'not contained', seen: `the attack did not finish within ${ATTACK_WITHIN_MS / 1000} s` }),
          ATTACK_WITHIN_MS,
        );
      }),
    ]);
  } catch (err) {
    // taskd refusing or failing a plain request mid-attack is itself a finding.
    return { outcome: 'not contained', seen: `the attack could not be judged: ${(err as Error).message}` };
  } finally {
    clearTimeout(timer);
  }
}

export async function runCampaign(options: { quick: boolean; log(line: string): void }): Promise<CampaignResult> {
  const started = performance.now();
  const why = cannotRunHere();
  if (why) return { results: [], seconds: 0, skipped: why, leftovers: [] };
  const attacks = options.quick ? ATTACKS.filter((a) => a.quick) : ATTACKS;
  const droplet = buildDroplet();
  if (droplet.noLibrary) options.log(`no evil.so: ${droplet.noLibrary}`);
  const tenantMark = `tenant-${randomBytes(8).toString('hex')}`;
  const sentinels = new Sentinels(TASK_UID);
  const abstractSocket = new AbstractSocket();
  let world: SandboxWorld | undefined;
  const results: AttackResult[] = [];
  try {
    await abstractSocket.listen();
    world = await SandboxWorld.start({ droplet: droplet.files, variables: (marksDir) => appVariables(marksDir, tenantMark) });
    options.log(`taskd ${world.url} (pid ${world.taskdPid}) as root, data on its own tmpfs ${world.dataDir}; ${attacks.length} attacks`);
    const ctx: AttackContext = {
      world,
      droplet,
      corePattern: hostCorePattern(),
      sentinels,
      abstractSocket,
      marks: { preload: path.join(world.marksDir, 'preload'), loaders: path.join(world.marksDir, 'loaders') },
      tenantMark,
      injectionVariables: INJECTION_VARIABLES,
    };
    const one = async (attack: Attack) => {
      const at = performance.now();
      const verdict = await judged(attack, ctx);
      const servingAfter = await world!.stillServing();
      const result = { attack, verdict, seconds: (performance.now() - at) / 1000, servingAfter };
      results.push(result);
      options.log(
        `${verdict.outcome === 'not contained' ? 'NOT CONTAINED' : verdict.outcome} ${attack.id} (${result.seconds.toFixed(1)} s)${servingAfter ? ` — taskd stopped serving: ${servingAfter}` : ''}`,
      );
    };
    for (const attack of attacks.filter((a) => a.exclusive)) await one(attack);
    const queue = attacks.filter((a) => !a.exclusive);
    await Promise.all(
      Array.from({ length: PARALLEL }, async () => {
        for (let next = queue.shift(); next; next = queue.shift()) await one(next);
      }),
    );
    const servingAtEnd = await world.stillServing();
    const order = new Map(ATTACKS.map((a, i) => [a.id, i]));
    results.sort((a, b) => order.get(a.attack.id)! - order.get(b.attack.id)!);
    sentinels.stop();
    const leftovers = await world.stop();
    world = undefined;
    return { results, servingAtEnd, seconds: (performance.now() - started) / 1000, noLibrary: droplet.noLibrary, leftovers };
  } finally {
    sentinels.stop();
    await abstractSocket.close();
    await world?.stop();
  }
}

// Check for issue 15, "A sandbox that holds": a hostile-tenant campaign (spec sandbox.md §5)
// against a real taskd started as root with bubblewrap and SQLite. Every attack is a task an
// ordinary space developer creates through the CF API — /proc and /sys escapes, devices, setuid
// and file capabilities, ptrace, namespaces and mounts, raw system calls, signals to taskd,
// resource exhaustion, the task token used for what it does not open, IPC and folders of other
// tasks, processes outliving their task — plus what is looked at on the host where the property
// lives there (file owners, cgroups, disk use, host processes). Each attack prints whether it was
// contained and what was seen; after each, taskd must still serve. The five findings of the issue
// come first; `--quick` runs a representative subset of them and others.
import type { CheckOptions, CheckReport, ReliabilityCheck } from '../check.js';
import { skippedReport } from '../check.js';
import { runCampaign } from '../sandbox/campaign.js';

async function runSandbox(options: CheckOptions): Promise<CheckReport> {
  const campaign = await runCampaign({ quick: options.quick, log: options.log });
  if (campaign.skipped) return skippedReport(campaign.skipped);
  const failures: string[] = [];
  const checked: string[] = [];
  const by = (outcome: string) => campaign.results.filter((r) => r.verdict.outcome === outcome);
  for (const { attack, verdict } of campaign.results) {
    const label = verdict.outcome === 'not contained' ? 'NOT CONTAINED' : verdict.outcome;
    checked.push(`[${label}] ${attack.id} — ${attack.title} (${attack.covers}): ${verdict.seen}`);
    if (verdict.outcome === 'not contained') failures.push(`${attack.id} NOT CONTAINED — ${attack.title}: ${verdict.seen}`);
  }
  for (const r of campaign.results)
    if (r.servingAfter) failures.push(`after ${r.attack.id}: taskd did not keep serving: ${r.servingAfter}`);
  if (campaign.servingAtEnd) failures.push(`after the campaign: taskd did not keep serving: ${campaign.servingAtEnd}`);
  for (const left of campaign.leftovers) failures.push(`after taskd stopped: ${left}`);
  const ids = (outcome: string) =>
    by(outcome)
      .map((r) => r.attack.id)
      .join(', ') || 'none';
  return {
    // One task per attack (some make two) and one `echo ok` probe after each.
    trials: campaign.results.length * 2 + 1,
    failures,
    checked,
    figures: {
      attacks: `${campaign.results.length} distinct (${options.quick ? 'quick subset' : 'full campaign'})`,
      contained: by('contained').length,
      'not contained': `${by('not contained').length}: ${ids('not contained')}`,
      skipped: `${by('skipped').length}${
        by('skipped').length
          ? `: ${by('skipped')
              .map((r) => `${r.attack.id} (${r.verdict.seen})`)
              .join('; ')}`
          : ''
      }`,
      'left behind after taskd stopped': campaign.leftovers.length
        ? campaign.leftovers.length
        : 'nothing (no task process, cgroup, mount or loop device)',
      'taskd served after every attack': campaign.results.every((r) => !r.servingAfter) && !campaign.servingAtEnd ? 'yes' : 'no',
      'slowest attack': campaign.results.length
        ? (() => {
            const slowest = [...campaign.results].sort((a, b) => b.seconds - a.seconds)[0]!;
            return `${slowest.attack.id} ${slowest.seconds.toFixed(1)} s`;
          })()
        : 'none',
      'campaign time': `${campaign.seconds.toFixed(1)} s`,
    },
  };
}

export const checks: ReliabilityCheck[] = [
  {
    name: 'sandbox',
    title: 'a hostile tenant attacks the task sandbox (issue 15): every attack contained, taskd serving throughout',
    run: runSandbox,
  },
];

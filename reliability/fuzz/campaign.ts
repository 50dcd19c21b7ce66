// Sends one API's share of hostile requests to the target and judges every answer: never a 5xx,
// never a hang, every refusal in the API's own envelope, and a refused change leaves no rows.
// Reads run side by side; a request that could change something runs alone, between two counts
// of the store's rows, so a refusal that half-wrote is seen.
import type { FailureLog } from '../check.js';
import { envelopeProblem } from './envelopes.js';
import { ATTACKS, hostileRequest, type Attack, type GenerationContext, type HostileRequest, type Random } from './mutations.js';
import { RequestTimeout, sendRaw, type RawResponse } from './raw-http.js';
import type { ApiName, Route } from './routes.js';
import type { FuzzTarget } from './target.js';

/** How often each attack is made, relative to the others (oversized bodies are costly to send). */
const WEIGHT: Record<Attack, number> = {
  valid: 4,
  'mutated-body': 14,
  'truncated-json': 6,
  'deep-json': 3,
  'proto-keys': 5,
  'huge-numbers': 6,
  'huge-string': 3,
  'wrong-content-type': 7,
  'oversized-body': 1.5,
  'invalid-utf8-body': 5,
  'invalid-utf8-query': 5,
  'invalid-utf8-path': 5,
  'sql-query': 8,
  'repeated-query': 5,
  'bad-path-param': 8,
  'wrong-method': 4,
};
const TOTAL_WEIGHT = ATTACKS.reduce((sum, a) => sum + WEIGHT[a], 0);

function pickAttack(random: Random): Attack {
  let roll = random() * TOTAL_WEIGHT;
  for (const a of ATTACKS) if ((roll -= WEIGHT[a]) < 0) return a;
  return 'valid';
}

export interface CampaignResult {
  requests: number;
  statuses: Map<number, number>;
  attacks: Map<Attack, number>;
  seconds: number;
}

const REQUEST_TIMEOUT_MS = 20_000;
const WORKERS = 6;

/** Can this request change a row? Reads cannot; everything else is treated as a write. */
const mayWrite = (r: HostileRequest) => r.method !== 'GET' && r.method !== 'HEAD' && r.method !== 'OPTIONS' && r.method !== 'TRACE';

export async function runCampaign(
  target: FuzzTarget,
  api: ApiName,
  routes: Route[],
  count: number,
  random: Random,
  ctx: GenerationContext,
  failures: FailureLog,
): Promise<CampaignResult> {
  const mine = routes.filter((r) => r.api === api);
  const result: CampaignResult = { requests: 0, statuses: new Map(), attacks: new Map(), seconds: 0 };
  // Made one at a time as workers take them (megabyte bodies are not all held at once), always in
  // order i = 0, 1, …: the same seed makes the same requests however the answers interleave.
  const make = () => {
    const route = mine[Math.floor(random() * mine.length)];
    return hostileRequest(route, pickAttack(random), random, ctx);
  };
  let next = 0;
  let writer: Promise<void> | undefined;
  let readers = 0;
  let readersDone: (() => void) | undefined;
  const started = performance.now();

  const judge = (i: number, req: HostileRequest, res: RawResponse | Error) => {
    result.requests++;
    result.attacks.set(req.attack, (result.attacks.get(req.attack) ?? 0) + 1);
    const what = `${api} #${i} ${req.attack}: ${req.method} ${req.shown}`;
    if (res instanceof Error) {
      failures.add(`${what} → ${res instanceof RequestTimeout ? 'hang' : 'no answer'}: ${res.message}`);
      return;
    }
    result.statuses.set(res.status, (result.statuses.get(res.status) ?? 0) + 1);
    if (res.status >= 500) failures.add(`${what} → ${res.status} ${res.body.toString('utf8').slice(0, 300)}`);
    else if (res.status >= 400) {
      const problem = envelopeProblem(req.target.toString('latin1'), res);
      if (problem)
        failures.add(
          `${what} → ${res.status} not in the ${api} envelope (${problem}): ${res.headers['content-type']} ${res.body.toString('utf8').slice(0, 200)}`,
        );
    }
  };

  const send = (req: HostileRequest) => sendRaw(target.port, req, REQUEST_TIMEOUT_MS).catch((err: Error) => err);

  const worker = async () => {
    while (next < count) {
      const i = next++;
      const req = make();
      if (mayWrite(req)) {
        // Alone: wait for any other writer, then for the readers in flight.
        while (writer) await writer;
        let release!: () => void;
        writer = new Promise((resolve) => (release = resolve));
        while (readers > 0) await new Promise<void>((resolve) => (readersDone = resolve));
        try {
          const before = await target.counts();
          const res = await send(req);
          judge(i, req, res);
          if (!(res instanceof Error) && res.status >= 400) {
            const after = await target.counts();
            const changed = Object.keys(before).filter((t) => before[t] !== after[t]);
            if (changed.length)
              failures.add(
                `${api} #${i} ${req.attack}: ${req.method} ${req.shown} → ${res.status} yet changed ${changed.map((t) => `${t} ${before[t]}→${after[t]}`).join(', ')}`,
              );
          }
        } finally {
          writer = undefined;
          release();
        }
      } else {
        while (writer) await writer;
        readers++;
        try {
          judge(i, req, await send(req));
        } finally {
          readers--;
          if (readers === 0) readersDone?.();
        }
      }
    }
  };
  await Promise.all(Array.from({ length: WORKERS }, worker));
  result.seconds = (performance.now() - started) / 1000;
  return result;
}

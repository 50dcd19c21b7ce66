// Check 8 of issue 8, "Abuse limits": against a real taskd process on a real port, users hammer
// task creation concurrently and attackers guess passwords through every login path (CF/UAA
// password grant, vSphere /rest and /api sessions, Dbvisit HTTP Basic), for real and for
// nonexistent usernames. What must hold: each user gets their allowance and then CF's 429 with
// its headers, and no more tasks than were acknowledged; one user's limit never touches another;
// failed logins are refused alike whether the username exists or not; the refusal lifts once the
// window has passed.
import { FailureLog, type CheckOptions, type CheckReport, type ReliabilityCheck } from '../check.js';
import { Harness, type Actor } from '../../test/support/harness.js';
import { pretendRunnerElsewhere } from '../../test/support/tasks.js';
import { appWithCurrentDroplet } from '../../test/droplets/helpers.js';
import { basic, bearer, send, type Answer } from '../support/http.js';
import { sleep, storeEnv, TaskdProcess } from '../support/taskd-process.js';
import { PerUserRateLimiter } from '../../src/api/rate-limits.js';

const CREATES_PER_MINUTE = 30;
/** What one user may create at once: taskd's own token bucket says (ten seconds' worth, at least 10). */
const BURST = new PerUserRateLimiter(CREATES_PER_MINUTE, Date.now).burst;
const LOGIN_FAILURES = 5;
const WINDOW_SECONDS = 3;
const CF_CLIENT = basic('cf', '');

const CHECKED = [
  `each user creating tasks concurrently gets about ${BURST} accepted (the burst of a ${CREATES_PER_MINUTE}-a-minute limit, plus what refills meanwhile), then 429 CF-RateLimitExceeded (10013, "Rate Limit Exceeded") with X-RateLimit-Limit/-Remaining/-Reset and Retry-After`,
  'no more tasks exist than creates were acknowledged, and none is answered 5xx',
  "one user's exhausted limit leaves another user's creates untouched",
  `after ${LOGIN_FAILURES} wrong passwords the right one is refused too, on every login path (oauth, vSphere /rest and /api, Dbvisit Basic)`,
  'a nonexistent username gets exactly the same answers (status, body) as an existing one',
  `the refusal lifts once the ${WINDOW_SECONDS} s window has passed`,
];

async function runAbuseLimits(options: CheckOptions): Promise<CheckReport> {
  const users = options.quick ? 3 : 10;
  const extra = options.quick ? 10 : 40;
  const failures = new FailureLog();
  const figures: Record<string, string | number> = {};
  let trials = 0;
  const h = new Harness('sqlite', { runnerSlots: 0 });
  let taskd: TaskdProcess | undefined;
  try {
    await h.start();
    await pretendRunnerElsewhere(h);
    const org = await h.org();
    const space = await h.space(org.guid);
    const { app } = await appWithCurrentDroplet(h, space.guid);
    const developers: Actor[] = [];
    for (let i = 0; i < users + 1; i++) {
      const u = await h.user();
      await h.role('space_developer', u.guid, { space: space.guid });
      developers.push(u);
    }
    taskd = await TaskdProcess.start(h.config.dataDir, {
      env: storeEnv(h, {
        TASKD_RUNNER_SLOTS: '0',
        TASKD_TASK_CREATE_RATE_LIMIT: String(CREATES_PER_MINUTE),
        // From the one address the check runs on, both the (username, address) throttle and the
        // username-wide count start their wait after this many wrong passwords.
        TASKD_LOGIN_FREE_FAILURES: String(LOGIN_FAILURES),
        TASKD_LOGIN_FAILURE_LIMIT: String(LOGIN_FAILURES),
        // The check's many usernames all come from 127.0.0.1: the address limit is not what it tests.
        TASKD_LOGIN_FAILURE_LIMIT_PER_ADDRESS: '0',
        TASKD_LOGIN_FAILURE_WINDOW_SECONDS: String(WINDOW_SECONDS),
      }),
    });
    const base = taskd.url;
    const call = async (method: string, path: string, headers: Record<string, string>, body?: string): Promise<Answer> => {
      trials++;
      const res = await send({ method, url: `${base}${path}`, headers, raw: body });
      if (res.status === 0) throw new Error(`${method} ${path}: no answer (${res.text})`);
      if (res.status >= 500) failures.add(`${method} ${path} → ${res.status} ${res.text.slice(0, 200)}`);
      return res;
    };

    // Creates: every user but the last at once, each sending its allowance and more.
    const [bystander, ...hammering] = [developers[users]!, ...developers.slice(0, users)];
    const create = (u: Actor) =>
      call(
        'POST',
        `/v3/apps/${app.guid}/tasks`,
        { authorization: bearer(u.token), 'content-type': 'application/json' },
        JSON.stringify({ command: 'true' }),
      );
    const started = performance.now();
    const perUser = await Promise.all(
      hammering.map((u) => Promise.all(Array.from({ length: CREATES_PER_MINUTE + extra }, () => create(u)))),
    );
    const seconds = (performance.now() - started) / 1000;
    // Refilled at CREATES_PER_MINUTE a minute while the burst went on.
    const most = BURST + Math.ceil((seconds * CREATES_PER_MINUTE) / 60);
    const accepted: number[] = [];
    for (const [i, answers] of perUser.entries()) {
      const ok = answers.filter((a) => a.status === 202);
      const refused = answers.filter((a) => a.status === 429);
      accepted.push(ok.length);
      if (ok.length < BURST || ok.length > most) failures.add(`user ${i}: ${ok.length} creates accepted, expected ${BURST}..${most}`);
      if (ok.length + refused.length !== answers.length)
        failures.add(`user ${i}: answers other than 202 and 429: ${[...new Set(answers.map((a) => a.status))].join(', ')}`);
      for (const r of refused.slice(0, 1)) {
        const body = JSON.parse(r.text);
        const expected = { errors: [{ detail: 'Rate Limit Exceeded', title: 'CF-RateLimitExceeded', code: 10013 }] };
        if (JSON.stringify(body) !== JSON.stringify(expected)) failures.add(`user ${i}: 429 body ${r.text}`);
        if (r.headers.get('x-ratelimit-limit') !== String(CREATES_PER_MINUTE))
          failures.add(`user ${i}: X-RateLimit-Limit ${r.headers.get('x-ratelimit-limit')}`);
        if (r.headers.get('x-ratelimit-remaining') !== '0')
          failures.add(`user ${i}: X-RateLimit-Remaining ${r.headers.get('x-ratelimit-remaining')}`);
        const reset = Number(r.headers.get('x-ratelimit-reset'));
        if (!(reset > Date.now() / 1000 - 1 && reset <= Date.now() / 1000 + 61))
          failures.add(`user ${i}: X-RateLimit-Reset ${reset} is not within the next minute`);
        if (!(Number(r.headers.get('retry-after')) >= 1)) failures.add(`user ${i}: Retry-After ${r.headers.get('retry-after')}`);
      }
      const made = await h.db
        .selectFrom('tasks')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .where('created_by', '=', hammering[i]!.guid)
        .executeTakeFirstOrThrow();
      if (Number(made.n) !== ok.length) failures.add(`user ${i}: ${made.n} tasks exist, ${ok.length} creates were acknowledged`);
    }
    figures['creates per user (concurrent)'] =
      `${CREATES_PER_MINUTE + extra} sent by each of ${hammering.length} users in ${seconds.toFixed(1)} s`;
    figures['accepted per user (min / max)'] = `${Math.min(...accepted)} / ${Math.max(...accepted)} (limit ${CREATES_PER_MINUTE} a minute)`;
    const untouched = await create(bystander);
    if (untouched.status !== 202)
      failures.add(`a user who had created nothing was answered ${untouched.status}: ${untouched.text.slice(0, 200)}`);

    // Logins: a real username and a nonexistent one, through each path, answered alike.
    const paths: Record<string, (username: string, password: string) => Promise<Answer>> = {
      oauth: (username, password) =>
        call(
          'POST',
          '/oauth/token',
          { authorization: CF_CLIENT, 'content-type': 'application/x-www-form-urlencoded' },
          new URLSearchParams({ grant_type: 'password', username, password }).toString(),
        ),
      'vsphere /rest': (username, password) =>
        call('POST', '/rest/com/vmware/cis/session', { authorization: basic(username, password), 'vmware-use-header-authn': 'true' }),
      'vsphere /api': (username, password) => call('POST', '/api/session', { authorization: basic(username, password) }),
      'dbvisit basic': (username, password) =>
        call('POST', '/task/list', { authorization: basic(username, password), 'content-type': 'application/json' }, '{}'),
    };
    const recovered: string[] = [];
    for (const [name, login] of Object.entries(paths)) {
      const real = await h.user();
      const seen: string[][] = [];
      let lockedAt = 0;
      for (const username of [real.username, `ghost-${real.username}`]) {
        const answers: Answer[] = [];
        for (let i = 0; i < LOGIN_FAILURES + 3; i++) answers.push(await login(username, 'wrong'));
        seen.push(answers.map((a) => `${a.status} ${a.text}`));
        const statuses = answers.map((a) => a.status);
        if (statuses.slice(0, LOGIN_FAILURES).some((s) => s !== 401) || statuses.slice(LOGIN_FAILURES).some((s) => s !== 429)) {
          failures.add(
            `${name}: wrong passwords for ${username === real.username ? 'a real' : 'a nonexistent'} user answered ${statuses.join(' ')}`,
          );
        }
        if (username !== real.username) continue;
        // At once, well within the window: the right password is refused as well.
        const refusedRight = await login(real.username, `pw-${real.username}`);
        if (refusedRight.status !== 429) failures.add(`${name}: the right password during the lockout answered ${refusedRight.status}`);
        lockedAt = performance.now();
      }
      // Answers carry nothing per request (no ids, no times), so whole answers compare.
      const [realSeen, ghostSeen] = seen;
      if (JSON.stringify(realSeen) !== JSON.stringify(ghostSeen))
        failures.add(`${name}: a nonexistent username is answered differently:\n${realSeen!.at(-1)}\n${ghostSeen!.at(-1)}`);
      await sleep(Math.max(0, WINDOW_SECONDS * 1000 + 200 - (performance.now() - lockedAt)));
      const after = await login(real.username, `pw-${real.username}`);
      if (after.status < 200 || after.status > 201)
        failures.add(`${name}: the right password after the window answered ${after.status}: ${after.text.slice(0, 200)}`);
      else recovered.push(name);
    }
    figures['login paths checked'] = Object.keys(paths).length;
    figures[`logged in again ${WINDOW_SECONDS} s after the lockout`] = recovered.join(', ') || 'none';
    return { trials, failures: failures.all, checked: CHECKED, figures };
  } finally {
    await taskd?.kill('SIGTERM');
    await h.stop();
  }
}

export const checks: ReliabilityCheck[] = [
  {
    name: 'abuse-limits',
    title: 'per-user task creation rate and failed logins on every login path, answered with 429s that lift',
    run: runAbuseLimits,
  },
];

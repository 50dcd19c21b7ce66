// Abuse limits: per-user task creation rate and the failed-login throttle, in every dialect that creates tasks
// or logs in, on a clock the tests move instead of waiting.
import { test, beforeEach } from 'node:test';
import assert from 'node:assert/strict';
import { cfError, cheapPasswordHash, describeEachStore, type Actor, type Harness, type Response } from '../support/harness.js';
import { appWithCurrentDroplet, createDroplet, uploadBits } from '../droplets/helpers.js';
import { multipart, tgzOf } from '../droplets/tarballs.js';
import { zipOf } from '../support/zip.js';
import { pretendRunnerElsewhere } from '../support/tasks.js';
import { PerUserRateLimiter, RateLimitExceeded, useRateLimitClock } from '../../src/api/rate-limits.js';

const CREATES_PER_MINUTE = 3;
const UPLOADS_PER_MINUTE = 2;
const FREE_FAILURES = 3;
const MAX_DELAY_SECONDS = 8;
const USERNAME_FAILURES = 6;
const ADDRESS_FAILURES = 20;
const WINDOW_SECONDS = 60;
const CF_CLIENT = `Basic ${Buffer.from('cf:').toString('base64')}`;
const basic = (username: string, password: string) => `Basic ${Buffer.from(`${username}:${password}`).toString('base64')}`;

/** A clock starting at a round second, so Reset and Retry-After are exact. */
function fakeClock(h: Harness) {
  const clock = { now: 1_900_000_000_000 };
  useRateLimitClock(h.taskd.ctx, () => clock.now);
  return clock;
}

async function spaceDeveloper(h: Harness, spaceGuid: string): Promise<Actor> {
  const u = await h.user();
  await h.role('space_developer', u.guid, { space: spaceGuid });
  return u;
}

/** A password grant, from the given client address (127.0.0.1 unless given). */
async function passwordLogin(h: Harness, username: string, password: string, remoteAddress = '127.0.0.1'): Promise<Response> {
  const res = await h.taskd.app.inject({
    method: 'POST',
    url: '/oauth/token',
    remoteAddress,
    payload: new URLSearchParams({ grant_type: 'password', username, password }).toString(),
    headers: { authorization: CF_CLIENT, 'content-type': 'application/x-www-form-urlencoded' },
  });
  return { status: res.statusCode, headers: res.headers, body: res.body ? JSON.parse(res.body) : undefined, text: res.body };
}

const restSession = (h: Harness, username: string, password: string) =>
  h.request('POST', '/rest/com/vmware/cis/session', {
    headers: { authorization: basic(username, password), 'vmware-use-header-authn': 'true' },
  });
const apiSession = (h: Harness, username: string, password: string) =>
  h.request('POST', '/api/session', { headers: { authorization: basic(username, password) } });
const dbvisitList = (h: Harness, username: string, password: string) =>
  h.request('POST', '/task/list', { body: {}, headers: { authorization: basic(username, password) } });

/** The headers of a refusal: CF's three, and Retry-After in seconds from now. */
function assertRefusalHeaders(res: Response, limit: number, resetEpochSeconds: number, retryAfterSeconds: number): void {
  assert.equal(res.headers['x-ratelimit-limit'], String(limit), res.text);
  assert.equal(res.headers['x-ratelimit-remaining'], '0');
  assert.equal(res.headers['x-ratelimit-reset'], String(resetEpochSeconds));
  assert.equal(res.headers['retry-after'], String(retryAfterSeconds));
}

describeEachStore(
  'task creation rate limit',
  (h) => {
    let clock: { now: number };
    let appGuid: string;
    let alice: Actor;
    let bob: Actor;

    beforeEach(async () => {
      if (appGuid) return;
      // One clock for the suite: the tests go on from the buckets the one before left.
      clock = fakeClock(h);
      await pretendRunnerElsewhere(h);
      const org = await h.org();
      const space = await h.space(org.guid);
      appGuid = (await appWithCurrentDroplet(h, space.guid)).app.guid;
      alice = await spaceDeveloper(h, space.guid);
      bob = await spaceDeveloper(h, space.guid);
    });

    const create = (who: Actor) => h.post(`/v3/apps/${appGuid}/tasks`, { command: 'echo hi' }, who.token);

    test('a burst up to the limit is accepted with the rate limit headers, the next is 429 CF-RateLimitExceeded', async () => {
      const start = clock.now / 1000;
      for (let i = 1; i <= CREATES_PER_MINUTE; i++) {
        const res = await create(alice);
        assert.equal(res.status, 202, res.text);
        assert.equal(res.headers['x-ratelimit-limit'], String(CREATES_PER_MINUTE));
        assert.equal(res.headers['x-ratelimit-remaining'], String(CREATES_PER_MINUTE - i));
        // Full again one refill per create used: 20 s each at 3 a minute.
        assert.equal(res.headers['x-ratelimit-reset'], String(start + 20 * i));
        assert.equal(res.headers['retry-after'], undefined);
      }
      const refused = await create(alice);
      cfError(refused, 429, 'CF-RateLimitExceeded', 10013, 'Rate Limit Exceeded');
      assert.deepEqual(refused.body, { errors: [{ detail: 'Rate Limit Exceeded', title: 'CF-RateLimitExceeded', code: 10013 }] });
      assertRefusalHeaders(refused, CREATES_PER_MINUTE, start + 60, 20);
      const tasks = await h.get(`/v3/apps/${appGuid}/tasks?per_page=100`, alice.token);
      assert.equal(tasks.body.pagination.total_results, CREATES_PER_MINUTE, 'the refused create made no task');
    });

    test('the bucket refills with time: one create per refill interval', async () => {
      // Alice's bucket is empty from the test before; a refill is 20 s at 3 a minute.
      clock.now += 19_000;
      cfError(await create(alice), 429, 'CF-RateLimitExceeded', 10013);
      clock.now += 1_000;
      assert.equal((await create(alice)).status, 202);
      cfError(await create(alice), 429, 'CF-RateLimitExceeded', 10013);
      clock.now += 60_000;
      for (let i = 0; i < CREATES_PER_MINUTE; i++) assert.equal((await create(alice)).status, 202);
    });

    test("one user's limit does not touch another's", async () => {
      cfError(await create(alice), 429, 'CF-RateLimitExceeded', 10013);
      const res = await create(bob);
      assert.equal(res.status, 202, res.text);
      assert.equal(res.headers['x-ratelimit-remaining'], String(CREATES_PER_MINUTE - 1));
    });

    test('admins are not limited, as in Cloud Controller', async () => {
      for (let i = 0; i < CREATES_PER_MINUTE + 2; i++) {
        const res = await h.post(`/v3/apps/${appGuid}/tasks`, { command: 'echo hi' });
        assert.equal(res.status, 202, res.text);
        assert.equal(res.headers['x-ratelimit-limit'], undefined);
      }
    });

    test('refused creates count too: malformed ones use up the allowance', async () => {
      const carol = await spaceDeveloper(h, (await h.get(`/v3/apps/${appGuid}`)).body.relationships.space.data.guid);
      for (let i = 0; i < CREATES_PER_MINUTE; i++) {
        assert.equal((await h.post(`/v3/apps/${appGuid}/tasks`, { command: '' }, carol.token)).status, 422);
      }
      cfError(await create(carol), 429, 'CF-RateLimitExceeded', 10013);
    });
  },
  { taskCreateRateLimit: CREATES_PER_MINUTE, runnerSlots: 0 },
);

test("a large limit lets ten seconds' worth through at once, not a minute's, and then goes on at its rate", () => {
  const clock = { now: 1_900_000_000_000 };
  const creates = new PerUserRateLimiter(600, () => clock.now);
  for (let i = 0; i < 100; i++) creates.take('alice');
  assert.throws(() => creates.take('alice'), RateLimitExceeded, 'the 101st at once');
  assert.ok(creates.take('bob'), 'another user has a burst of his own');
  clock.now += 100;
  assert.ok(creates.take('alice'), 'one more a tenth of a second later (600 a minute)');
  assert.throws(() => creates.take('alice'), RateLimitExceeded);
  // A small limit is a burst of itself: 5 a minute are 5 at once.
  const few = new PerUserRateLimiter(5, () => clock.now);
  for (let i = 0; i < 5; i++) few.take('alice');
  assert.throws(() => few.take('alice'), RateLimitExceeded);
});

describeEachStore(
  'droplet upload rate limit',
  (h) => {
    test("a user's uploads beyond the limit are 429 CF-RateLimitExceeded before anything is received; another user's are not", async () => {
      const clock = fakeClock(h);
      const space = await h.space((await h.org()).guid);
      const app = await h.app(space.guid);
      const [alice, bob] = [await spaceDeveloper(h, space.guid), await spaceDeveloper(h, space.guid)];
      const bits = await tgzOf([{ name: 'run.sh', content: 'echo hi' }]);
      const upload = async (who: Actor) => {
        const droplet = await createDroplet(h, app.guid, undefined, who.token);
        return { droplet, res: await uploadBits(h, droplet.guid, bits, { token: who.token }) };
      };
      for (let i = 1; i <= UPLOADS_PER_MINUTE; i++) {
        const { res } = await upload(alice);
        assert.equal(res.status, 202, res.text);
        assert.equal(res.headers['x-ratelimit-remaining'], String(UPLOADS_PER_MINUTE - i));
      }
      const refused = await upload(alice);
      cfError(refused.res, 429, 'CF-RateLimitExceeded', 10013, 'Rate Limit Exceeded');
      assertRefusalHeaders(refused.res, UPLOADS_PER_MINUTE, clock.now / 1000 + 60, 30);
      const kept = await h.get(`/v3/droplets/${refused.droplet.guid}`, alice.token);
      assert.equal(kept.body.state, 'AWAITING_UPLOAD', 'the refused upload left its droplet ready for another try');
      // Packages (cf push) and builds are droplet uploads too.
      const pkg = await h.post('/v3/packages', { type: 'bits', relationships: { app: { data: { guid: app.guid } } } }, alice.token);
      const zip = multipart([{ field: 'bits', filename: 'app.zip', content: zipOf([{ name: 'run.sh', content: 'echo hi' }]) }]);
      const pkgUpload = await h.request('POST', `/v3/packages/${pkg.body.guid}/upload`, {
        token: alice.token,
        payload: zip.payload,
        headers: { 'content-type': zip.contentType },
      });
      cfError(pkgUpload, 429, 'CF-RateLimitExceeded', 10013, 'Rate Limit Exceeded');
      cfError(await h.post('/v3/builds', { package: { guid: pkg.body.guid } }, alice.token), 429, 'CF-RateLimitExceeded', 10013);
      assert.equal((await upload(bob)).res.status, 202);
      clock.now += 30_000;
      assert.equal((await uploadBits(h, refused.droplet.guid, bits, { token: alice.token })).status, 202, 'a refill lets it through');
    });
  },
  { dropletUploadRateLimit: UPLOADS_PER_MINUTE, runnerSlots: 0 },
);

describeEachStore(
  'failed login throttle',
  (h) => {
    let clock: { now: number };
    beforeEach(() => {
      clock = fakeClock(h);
    });

    test('(username, address): after the free failures each attempt from that address waits 1 s, 2 s, 4 s, … up to the cap, the right password too', async () => {
      const u = await h.user();
      const right = `pw-${u.username}`;
      for (let i = 0; i < FREE_FAILURES; i++) assert.equal((await passwordLogin(h, u.username, 'wrong')).status, 401);
      const refused = await passwordLogin(h, u.username, right);
      assert.equal(refused.status, 429, refused.text);
      assert.deepEqual(refused.body, { error: 'too_many_requests', error_description: 'Rate Limit Exceeded' });
      assertRefusalHeaders(refused, FREE_FAILURES, clock.now / 1000 + 1, 1);
      for (const wait of [1, 2, 4, MAX_DELAY_SECONDS, MAX_DELAY_SECONDS]) {
        clock.now += wait * 1000 - 1;
        assert.equal((await passwordLogin(h, u.username, right)).status, 429, `still waiting ${wait} s`);
        clock.now += 1;
        assert.equal((await passwordLogin(h, u.username, 'wrong')).status, 401);
      }
      assert.equal((await passwordLogin(h, u.username, right)).headers['retry-after'], String(MAX_DELAY_SECONDS), 'capped');
      clock.now += MAX_DELAY_SECONDS * 1000;
      assert.equal((await passwordLogin(h, u.username, right)).status, 200);
      // The success cleared the count: the next wrong password is answered at once.
      assert.equal((await passwordLogin(h, u.username, 'wrong')).status, 401);
    });

    test('a nonexistent username is answered exactly as an existing one', async () => {
      const u = await h.user();
      const answers: Response[] = [];
      for (const name of [u.username, `ghost-${u.username}`]) {
        for (let i = 0; i < FREE_FAILURES; i++) assert.equal((await passwordLogin(h, name, 'wrong', '10.0.0.1')).status, 401);
        answers.push(await passwordLogin(h, name, 'wrong', '10.0.0.1'));
      }
      const [real, ghost] = answers;
      assert.equal(real.status, 429);
      assert.equal(ghost.status, real.status);
      assert.equal(ghost.text, real.text);
      for (const header of ['x-ratelimit-limit', 'x-ratelimit-remaining', 'x-ratelimit-reset', 'retry-after', 'content-type']) {
        assert.equal(ghost.headers[header], real.headers[header], header);
      }
    });

    test('a client address is limited across usernames (password spraying), other addresses are not', async () => {
      // Real users' names, and one that names nobody: a wrong password for a user costs a check of
      // their (cheap fixture) hash, while each unknown name costs a full hash of taskd's decoy
      // (~0.5 s of CPU). The test before shows unknown names answered as known ones.
      const sprayed = [
        ...(await Promise.all(Array.from({ length: ADDRESS_FAILURES - 1 }, () => h.fixtureUser()))).map((u) => u.username),
        'nobody',
      ];
      for (const username of sprayed) assert.equal((await passwordLogin(h, username, 'wrong', '10.0.0.3')).status, 401);
      // Any username from that address, even a real user with the right password.
      const refused = await passwordLogin(h, 'admin', h.adminPassword, '10.0.0.3');
      assert.equal(refused.status, 429);
      assert.equal(refused.headers['x-ratelimit-limit'], String(ADDRESS_FAILURES));
      assert.equal((await passwordLogin(h, 'admin', h.adminPassword, '10.0.0.4')).status, 200);
      clock.now += WINDOW_SECONDS * 1000;
      assert.equal((await passwordLogin(h, 'admin', h.adminPassword, '10.0.0.3')).status, 200);
    });

    test('a guess spread over many addresses slows the username from new addresses only, not from one it logged in from', async () => {
      const u = await h.user();
      const right = `pw-${u.username}`;
      assert.equal((await passwordLogin(h, u.username, right, '10.0.4.1')).status, 200, 'the user, from home');
      // That login made the user's hash again at full cost; back to the cheap fixture hash, each
      // wrong guess below costs milliseconds instead of a full hash. What is counted is the same.
      await h.db
        .updateTable('users')
        .set({ password_hash: cheapPasswordHash(right) })
        .where('guid', '=', u.guid)
        .execute();
      for (let i = 0; i < USERNAME_FAILURES; i++) assert.equal((await passwordLogin(h, u.username, 'wrong', `10.0.5.${i}`)).status, 401);
      const fresh = await passwordLogin(h, u.username, right, '10.0.4.50');
      assert.equal(fresh.status, 429, fresh.text);
      assert.equal(fresh.headers['x-ratelimit-limit'], String(USERNAME_FAILURES));
      assert.equal(fresh.headers['retry-after'], '1', 'one second for the first failure beyond the limit');
      assert.equal((await passwordLogin(h, u.username, right, '10.0.4.1')).status, 200, 'home is not slowed');
      clock.now += 1000;
      assert.equal((await passwordLogin(h, u.username, right, '10.0.4.50')).status, 200);
    });

    test('vSphere sessions (/rest and /api): wrong passwords count, the refusal is 429 service_unavailable in each envelope', async () => {
      const u = await h.user();
      for (let i = 0; i < FREE_FAILURES; i++) assert.equal((await restSession(h, u.username, 'wrong')).status, 401);
      const rest = await restSession(h, u.username, `pw-${u.username}`);
      assert.equal(rest.status, 429, rest.text);
      assert.equal(rest.body.type, 'com.vmware.vapi.std.errors.service_unavailable');
      assert.equal(rest.body.value.messages[0].default_message, 'Rate Limit Exceeded');
      assert.equal(rest.headers['x-ratelimit-limit'], String(FREE_FAILURES));
      assert.equal(rest.headers['retry-after'], '1');
      const api = await apiSession(h, u.username, `pw-${u.username}`);
      assert.equal(api.status, 429, api.text);
      assert.equal(api.body.error_type, 'SERVICE_UNAVAILABLE');
      clock.now += 1000;
      assert.equal((await apiSession(h, u.username, `pw-${u.username}`)).status, 201);
    });

    test('Dbvisit: wrong Basic credentials count as failed logins; the refusal is 429 in its envelope', async () => {
      const u = await h.user();
      for (let i = 0; i < FREE_FAILURES; i++) assert.equal((await dbvisitList(h, u.username, 'wrong')).status, 401);
      const refused = await dbvisitList(h, u.username, `pw-${u.username}`);
      assert.equal(refused.status, 429, refused.text);
      assert.deepEqual(refused.body, { successful: false, error: { message: 'Rate Limit Exceeded' } });
      assert.equal(refused.headers['x-ratelimit-remaining'], '0');
      clock.now += 1000;
      assert.equal((await dbvisitList(h, u.username, `pw-${u.username}`)).status, 200);
    });

    test('the failures of one dialect count in the others (one count per username and address)', async () => {
      const u = await h.user();
      await passwordLogin(h, u.username, 'wrong');
      await restSession(h, u.username, 'wrong');
      await dbvisitList(h, u.username, 'wrong');
      assert.equal((await passwordLogin(h, u.username, `pw-${u.username}`)).status, 429);
    });
  },
  {
    loginFreeFailures: FREE_FAILURES,
    loginMaxDelaySeconds: MAX_DELAY_SECONDS,
    loginFailureLimit: USERNAME_FAILURES,
    loginFailureLimitPerAddress: ADDRESS_FAILURES,
    loginFailureWindowSeconds: WINDOW_SECONDS,
    runnerSlots: 0,
  },
);

describeEachStore(
  'failed login throttle, default settings',
  (h) => {
    // A clock that stands still: on a loaded machine a real second may pass between two attempts.
    beforeEach(() => {
      fakeClock(h);
    });

    test('an attacker at another address cannot lock the user out (12 wrong passwords locked every login path before): the user logs in from theirs at once, on every path', async () => {
      const u = await h.user();
      const right = `pw-${u.username}`;
      // The attacker fires as fast as answers come: the first wrong passwords are answered, then waits.
      const statuses: number[] = [];
      for (let i = 0; i < 12; i++) statuses.push((await passwordLogin(h, u.username, 'wrong', '10.0.2.66')).status);
      assert.ok(statuses.includes(401) && statuses.at(-1) === 429, statuses.join(' '));
      assert.equal((await passwordLogin(h, u.username, right, '10.0.2.66')).status, 429, 'the attacker waits');
      assert.equal((await passwordLogin(h, u.username, right, '10.0.2.1')).status, 200, 'the user does not');
      assert.equal((await restSession(h, u.username, right)).status, 200);
      assert.equal((await dbvisitList(h, u.username, right)).status, 200);
    });
  },
  { runnerSlots: 0 },
);

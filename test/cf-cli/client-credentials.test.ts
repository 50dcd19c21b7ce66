// A script's or CI's login with the real cf CLI: `cf auth CLIENT SECRET --client-credentials`
// with a client from TASKD_UAA_CLIENTS_FILE, then commands as that client.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { describeCfEachStore } from './cf-harness.js';

const CI = { clientId: 'ci-deployer', secret: 'ci-deployer-secret-0123', authorities: ['cloud_controller.admin'] };

describeCfEachStore(
  'the cf CLI: a client logs in with client credentials',
  (s) => {
    test('cf auth --client-credentials, then cf orgs as an admin client', async () => {
      const home = s.newHome();
      await s.ok(home, ['api', s.url]);
      const auth = await s.ok(home, ['auth', CI.clientId, CI.secret, '--client-credentials']);
      assert.ok(auth.lines.includes('OK'), auth.stdout);
      const orgs = await s.ok(home, ['orgs']);
      assert.ok(orgs.lines.includes(`Getting orgs as ${CI.clientId}...`), orgs.stdout);
      assert.ok(orgs.lines.includes(s.org.name), orgs.stdout);
    });

    test('a wrong secret is refused, as the CLI says of bad credentials', async () => {
      const home = s.newHome();
      await s.ok(home, ['api', s.url]);
      const wrong = await s.cf(home, ['auth', CI.clientId, 'not-the-secret-at-all', '--client-credentials']);
      assert.equal(wrong.status, 1, wrong.stdout);
      assert.ok(wrong.lines.includes('FAILED'), wrong.stdout);
      assert.match(wrong.stderr, /Credentials were rejected, please try again\./);
    });
  },
  { uaaClients: [CI] },
);

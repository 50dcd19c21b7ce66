// Limits on labels and annotations: Cloud Controller's (63-character label keys and values, 5,000
// characters per annotation value, at most 50 labels and 200 annotations per resource), plus
// taskd's bound on one resource's annotations together (65,536 characters): CF's limits alone let
// a resource hold 0.95 MB of annotations, and every task carries metadata.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cfError, describeEachStore, type Harness } from '../support/harness.js';
import { appWithCurrentDroplet } from '../droplets/helpers.js';

const UNPROCESSABLE = ['CF-UnprocessableEntity', 10008] as const;
const tooLarge = (count: number) => `Failed to add ${count} annotations because it would exceed maximum total size of 65536 characters`;

/** `count` annotations of `chars` characters each: 200 of 4,750 are 0.95 MB. */
function annotations(count: number, chars: number, prefix = 'note'): Record<string, string> {
  return Object.fromEntries(Array.from({ length: count }, (_, i) => [`${prefix}-${i}`, 'v'.repeat(chars)]));
}

async function freshSpace(h: Harness) {
  const org = await h.org();
  return h.space(org.guid);
}

const annotationsOf = async (h: Harness, path: string) => (await h.get(path)).body.metadata.annotations as Record<string, string>;

describeEachStore(
  'metadata limits',
  (h) => {
    test('0.95 MB of annotations in one request (200 values of 4,750 characters) is refused; nothing is stored', async () => {
      const space = await freshSpace(h);
      const app = await h.app(space.guid);
      const body = { metadata: { annotations: annotations(200, 4_750) } };
      assert.ok(JSON.stringify(body).length > 0.95 * 1_000_000);
      cfError(await h.patch(`/v3/apps/${app.guid}`, body), 422, ...UNPROCESSABLE, tooLarge(200));
      assert.deepEqual(await annotationsOf(h, `/v3/apps/${app.guid}`), {});
    });

    test('annotations added a request at a time stop at the bound; replacing and deleting still work', async () => {
      const space = await freshSpace(h);
      const app = await h.app(space.guid);
      let refused = 0;
      for (let round = 0; round < 20; round++) {
        const res = await h.patch(`/v3/apps/${app.guid}`, { metadata: { annotations: annotations(10, 4_000, `r${round}`) } });
        if (res.status === 422) {
          cfError(res, 422, ...UNPROCESSABLE, tooLarge(10));
          refused++;
        } else assert.equal(res.status, 200, res.text);
      }
      assert.ok(refused > 0);
      const kept = await annotationsOf(h, `/v3/apps/${app.guid}`);
      const total = Object.entries(kept).reduce((sum, [k, v]) => sum + k.length + v.length, 0);
      assert.ok(total <= 65_536, `${total} characters kept`);
      const [first] = Object.keys(kept);
      const replaced = await h.patch(`/v3/apps/${app.guid}`, { metadata: { annotations: { [first]: 'short', 'r0-1': null } } });
      assert.equal(replaced.status, 200, replaced.text);
    });

    test("CF's per-value and per-resource limits, with CF's messages", async () => {
      const space = await freshSpace(h);
      const app = await h.app(space.guid);
      const single = await h.patch(`/v3/apps/${app.guid}`, { metadata: { annotations: { big: 'x'.repeat(950_000) } } });
      cfError(single, 422, ...UNPROCESSABLE, "Metadata annotation value error: 'xxxxxxxx...' is greater than 5000 characters");
      // Characters, not UTF-16 units: 5,000 emoji are 5,000 characters, as CF counts them.
      const emoji = await h.patch(`/v3/apps/${app.guid}`, { metadata: { annotations: { emoji: '😀'.repeat(5_000) } } });
      assert.equal(emoji.status, 200, emoji.text);
      cfError(
        await h.patch(`/v3/apps/${app.guid}`, { metadata: { annotations: { emoji: '😀'.repeat(5_001) } } }),
        422,
        ...UNPROCESSABLE,
        `Metadata annotation value error: '${'😀'.repeat(8)}...' is greater than 5000 characters`,
      );
      cfError(
        await h.patch(`/v3/apps/${app.guid}`, { metadata: { annotations: annotations(201, 1) } }),
        422,
        'CF-AnnotationLimitExceeded',
        390023,
        'Failed to add 201 annotations because it would exceed maximum of 200',
      );
      const labels = Object.fromEntries(Array.from({ length: 51 }, (_, i) => [`l${i}`, 'v']));
      cfError(
        await h.patch(`/v3/apps/${app.guid}`, { metadata: { labels } }),
        422,
        'CF-LabelLimitExceeded',
        390020,
        'Failed to add 51 labels because it would exceed maximum of 50',
      );
      cfError(
        await h.patch(`/v3/apps/${app.guid}`, { metadata: { labels: { ['k'.repeat(64)]: 'v' } } }),
        422,
        ...UNPROCESSABLE,
        "Metadata label key error: 'kkkkkkkk...' is greater than 63 characters",
      );
      cfError(
        await h.patch(`/v3/apps/${app.guid}`, { metadata: { labels: { k: 'v'.repeat(64) } } }),
        422,
        ...UNPROCESSABLE,
        "Metadata label value error: 'vvvvvvvv...' is greater than 63 characters",
      );
    });

    test('tasks and droplets are held to the same bound', async () => {
      const space = await freshSpace(h);
      const { app, droplet } = await appWithCurrentDroplet(h, space.guid);
      const big = { metadata: { annotations: annotations(20, 4_000) } };
      const task = await h.post(`/v3/apps/${app.guid}/tasks`, { command: 'true', ...big });
      cfError(task, 422, ...UNPROCESSABLE, tooLarge(20));
      assert.equal((await h.get(`/v3/apps/${app.guid}/tasks`)).body.resources.length, 0, 'no task was created');
      cfError(await h.patch(`/v3/droplets/${droplet.guid}`, big), 422, ...UNPROCESSABLE, tooLarge(20));
    });
  },
  { runnerSlots: 0 },
);

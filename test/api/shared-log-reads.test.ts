// The live streams of one task share their reads of the store (src/api/cf/shared-log-reads.ts):
// fifty clients following one task, woken alike, cost the store what one does.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { KyselyPlugin } from 'kysely';
import { describeEachStore, type Harness } from '../support/harness.js';
import { createTask, runnableApp, waitForTask } from '../runner/helpers.js';
import { SharedLogReads } from '../../src/api/cf/shared-log-reads.js';

/** Counts the queries sent to the store through it. */
function queryCounter(): KyselyPlugin & { queries: number } {
  return {
    queries: 0,
    transformQuery(args) {
      this.queries += 1;
      return args.node;
    },
    transformResult: async (args) => args.result,
  };
}

async function endedTaskWithLines(h: Harness): Promise<number> {
  const { app } = await runnableApp(h);
  const task = await createTask(h, app.guid, 'echo one; echo two');
  await waitForTask(h, task.guid);
  const row = await h.taskd.ctx.store.db.selectFrom('tasks').select('id').where('guid', '=', task.guid).executeTakeFirstOrThrow();
  return row.id;
}

describeEachStore('live log streams share their reads', (h) => {
  test('fifty streams at the same line, woken alike, are answered by one read of the end and one of the lines', async () => {
    const taskId = await endedTaskWithLines(h);
    const counter = queryCounter();
    const reads = new SharedLogReads(h.taskd.ctx.store.db.withPlugin(counter), 500);
    for (let i = 0; i < 50; i++) reads.follow(taskId);
    const generation = reads.generationOf(taskId);
    const answers = await Promise.all(Array.from({ length: 50 }, () => reads.read(taskId, 0, generation)));
    assert.equal(counter.queries, 2, 'the end and the lines, once for all fifty');
    for (const answer of answers) {
      assert.deepEqual(
        answer.lines.map((l) => l.text),
        ['one', 'two'],
      );
      assert.equal(answer.end !== null && answer.end !== 'gone' ? answer.end.state : answer.end, 'SUCCEEDED');
    }
    // Streams further on read on their own.
    assert.deepEqual(
      (await reads.read(taskId, 1, generation)).lines.map((l) => l.text),
      ['two'],
    );
    assert.equal(counter.queries, 4);
  });

  test('a stream woken by an announcement never takes a read that began before it', async () => {
    const taskId = await endedTaskWithLines(h);
    const counter = queryCounter();
    const reads = new SharedLogReads(h.taskd.ctx.store.db.withPlugin(counter), 500);
    reads.follow(taskId);
    reads.follow(taskId);
    const before = reads.read(taskId, 0, reads.generationOf(taskId));
    reads.announce(taskId);
    const after = reads.read(taskId, 0, reads.generationOf(taskId));
    await Promise.all([before, after]);
    assert.notEqual(before, after);
    assert.equal(counter.queries, 4, 'two reads of the end and the lines');
    reads.unfollow(taskId);
    reads.unfollow(taskId);
  });
});

// The fixed page the bare route serves: the first 50 seeded tasks, presented by taskd's own task
// presenter (without `command`, as GET /v3/tasks shows them) under taskd's pagination object, so
// its JSON is the size of the page taskd answers for the admin's first page.
import { writeFileSync } from 'node:fs';
import SQLite from 'better-sqlite3';
import { presentTask } from '../src/api/cf/presenters/task.js';
import type { TaskView } from '../src/fetchers/task-query.js';
import { presentPagination } from '../src/api/cf/presenters/pagination.js';
import type { PresentedMetadata } from '../src/store/metadata.js';

export function writeBarePage(dbFile: string, base: string, outFile: string): number {
  const db = new SQLite(dbFile, { readonly: true });
  try {
    const rows = db
      .prepare(
        `select t.*, a.guid as app_guid, exists (select 1 from droplets d where d.guid = t.droplet_guid) as droplet_exists
         from tasks t join apps a on a.id = t.app_id order by t.id limit 50`,
      )
      .all() as (Omit<TaskView, 'droplet_exists'> & { droplet_exists: number })[];
    const labels = db.prepare(
      `select key_name, value from metadata where resource_kind = 'task' and metadata_kind = 'label' and resource_id = ?`,
    );
    const total = (db.prepare('select count(*) as n from tasks').get() as { n: number }).n;
    const resources = rows.map((row) => {
      const metadata: PresentedMetadata = { labels: {}, annotations: {} };
      for (const l of labels.all(row.id) as { key_name: string; value: string }[]) metadata.labels[l.key_name] = l.value;
      return presentTask({ ...row, droplet_exists: Boolean(row.droplet_exists) }, metadata, base, false);
    });
    const pagination = presentPagination(`${base}/v3/tasks`, { page: 1, perPage: 50, lists: {}, times: {}, echo: [] }, total);
    const body = JSON.stringify({ pagination, resources });
    writeFileSync(outFile, body);
    return Buffer.byteLength(body);
  } finally {
    db.close();
  }
}

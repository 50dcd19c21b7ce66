// Droplet bundles kept in the database (migration 008), for taskd nodes that share nothing but
// a PostgreSQL database: the node that received an upload stores the checked bundle, and a runner
// node that lacks the droplet's bits reads it back. Both go one part at a time, so neither holds a
// whole bundle in memory.
import { open } from 'node:fs/promises';
import type { Kysely } from 'kysely';
import type { Database } from '../store/schema.js';

/** Size of one stored part: small enough for one row, large enough that a 1 GB bundle is 1,024 rows. */
export const BUNDLE_PART_BYTES = 1024 * 1024;

/**
 * Stores a droplet's bundle file, all parts in one transaction: a droplet has its whole bundle
 * or none. A droplet deleted meanwhile fails the foreign key, and the upload fails with it.
 */
export async function saveBundle(db: Kysely<Database>, dropletGuid: string, file: string): Promise<void> {
  const handle = await open(file, 'r');
  try {
    await db.transaction().execute(async (trx) => {
      const droplet = await trx.selectFrom('droplets').select('id').where('guid', '=', dropletGuid).executeTakeFirstOrThrow();
      const buffer = Buffer.allocUnsafe(BUNDLE_PART_BYTES);
      for (let part = 0; ; part++) {
        const { bytesRead } = await handle.read(buffer, 0, BUNDLE_PART_BYTES, null);
        if (bytesRead === 0) break;
        // Awaited before the buffer is filled again.
        await trx
          .insertInto('droplet_bundles')
          .values({ droplet_id: droplet.id, part, bytes: buffer.subarray(0, bytesRead) })
          .execute();
      }
    });
  } finally {
    await handle.close();
  }
}

/** Writes a droplet's stored bundle to a new file; false when the database holds none for it. */
export async function restoreBundle(db: Kysely<Database>, dropletGuid: string, file: string): Promise<boolean> {
  const droplet = await db.selectFrom('droplets').select('id').where('guid', '=', dropletGuid).executeTakeFirst();
  if (!droplet) return false;
  const out = await open(file, 'wx', 0o600);
  try {
    let part = 0;
    for (;;) {
      const row = await db
        .selectFrom('droplet_bundles')
        .select('bytes')
        .where('droplet_id', '=', droplet.id)
        .where('part', '=', part)
        .executeTakeFirst();
      if (!row) return part > 0;
      await out.write(row.bytes);
      part++;
    }
  } finally {
    await out.close();
  }
}

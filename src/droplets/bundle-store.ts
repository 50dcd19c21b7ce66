// Bundles kept in the database (migrations 008 and 016), for taskd nodes that share nothing but a
// PostgreSQL database: the node that received an upload stores the checked bundle (a droplet's,
// or a package's converted from its zip), and a node that lacks it reads it back. Both go one part
// at a time, so neither holds a whole bundle in memory.
import { open } from 'node:fs/promises';
import type { Kysely, Transaction } from 'kysely';
import type { Database } from '../store/schema.js';

/** Size of one stored part: small enough for one row, large enough that a 1 GB bundle is 1,024 rows. */
export const BUNDLE_PART_BYTES = 1024 * 1024;

/**
 * Stores a droplet's bundle file, all parts in one transaction: a droplet has its whole bundle
 * or none. A droplet deleted meanwhile fails the foreign key, and the upload fails with it.
 */
export async function saveBundle(db: Kysely<Database>, dropletGuid: string, file: string): Promise<void> {
  await db.transaction().execute(async (trx) => {
    const droplet = await trx.selectFrom('droplets').select('id').where('guid', '=', dropletGuid).executeTakeFirstOrThrow();
    await writeParts(file, (part, bytes) => trx.insertInto('droplet_bundles').values({ droplet_id: droplet.id, part, bytes }).execute());
  });
}

/** Writes a droplet's stored bundle to a new file; false when the database holds none for it. */
export async function restoreBundle(db: Kysely<Database>, dropletGuid: string, file: string): Promise<boolean> {
  const droplet = await db.selectFrom('droplets').select('id').where('guid', '=', dropletGuid).executeTakeFirst();
  if (!droplet) return false;
  return readParts(file, (part) =>
    db.selectFrom('droplet_bundles').select('bytes').where('droplet_id', '=', droplet.id).where('part', '=', part).executeTakeFirst(),
  );
}

/** Stores a package's bundle, as `saveBundle` does a droplet's, inside the caller's transaction. */
export async function savePackageBundle(trx: Transaction<Database>, packageId: number, file: string): Promise<void> {
  await writeParts(file, (part, bytes) => trx.insertInto('package_bundles').values({ package_id: packageId, part, bytes }).execute());
}

/** Writes a package's stored bundle to a new file; false when the database holds none for it. */
export function restorePackageBundle(db: Kysely<Database>, packageId: number, file: string): Promise<boolean> {
  return readParts(file, (part) =>
    db.selectFrom('package_bundles').select('bytes').where('package_id', '=', packageId).where('part', '=', part).executeTakeFirst(),
  );
}

async function writeParts(file: string, insert: (part: number, bytes: Buffer) => Promise<unknown>): Promise<void> {
  const handle = await open(file, 'r');
  try {
    const buffer = Buffer.allocUnsafe(BUNDLE_PART_BYTES);
    for (let part = 0; ; part++) {
      const { bytesRead } = await handle.read(buffer, 0, BUNDLE_PART_BYTES, null);
      if (bytesRead === 0) break;
      // Awaited before the buffer is filled again.
      await insert(part, buffer.subarray(0, bytesRead));
    }
  } finally {
    await handle.close();
  }
}

async function readParts(file: string, read: (part: number) => Promise<{ bytes: Uint8Array } | undefined>): Promise<boolean> {
  const out = await open(file, 'wx', 0o600);
  try {
    for (let part = 0; ; part++) {
      const row = await read(part);
      if (!row) return part > 0;
      await out.write(row.bytes);
    }
  } finally {
    await out.close();
  }
}

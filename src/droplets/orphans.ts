// Droplet trees whose droplet is gone: deleted or expired while this node was stopped before it
// removed the files, or (PostgreSQL) rebuilt on a runner node for a droplet that another node has
// since deleted. Either way nothing can use them again, and they count against no budget: remove.
import type { Kysely } from 'kysely';
import type { Database } from '../store/schema.js';
import type { DropletFiles } from './storage.js';

const CHUNK = 500;

export async function removeOrphanedTrees(db: Kysely<Database>, files: DropletFiles): Promise<string[]> {
  const onDisk = await files.guidsOnDisk();
  const orphans: string[] = [];
  for (let i = 0; i < onDisk.length; i += CHUNK) {
    const chunk = onDisk.slice(i, i + CHUNK);
    const known = await db.selectFrom('droplets').select('guid').where('guid', 'in', chunk).execute();
    const present = new Set(known.map((d) => d.guid));
    orphans.push(...chunk.filter((guid) => !present.has(guid)));
  }
  await files.remove(orphans);
  return orphans;
}

// `taskd push APP [PATH]`: makes the folder the app's code. Creates the app when it is missing,
// packs the folder (see client/pack.ts for what is left out), uploads it as a droplet, waits for
// the server to accept it, and makes it the app's current droplet.
import { Command } from 'commander';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { CfClient } from '../client/api-client.js';
import { uploadDroplet, waitForJob } from '../client/droplet-upload.js';
import { findApp, requireTarget, type Target } from '../client/lookup.js';
import { note } from '../client/output.js';
import { IGNORE_FILE, packFolder, requireFolder, type PackedDroplet } from '../client/pack.js';
import type { App, Droplet } from '../client/resources.js';
import { formatBytes, Spinner } from '../client/terminal.js';
import { openClient, verbAction, withExamples } from '../client/verb.js';

export function pushVerb(): Command {
  const command = new Command('push')
    .description(`upload a folder as the app's code (creating the app if needed); ${IGNORE_FILE} lists what to leave out`)
    .argument('<app>', 'app name')
    .argument('[path]', 'folder to push', '.')
    .action(
      verbAction(async (appName: string, folder: string) => {
        const client = openClient();
        const target = requireTarget(client);
        // Before the app is created: a mistyped folder must leave nothing behind.
        await requireFolder(folder);
        note(`Pushing app ${appName} to org ${target.org.name} / space ${target.space.name} as ${client.current.username}...`);
        const app = await appNamed(client, target, appName);
        const work = await mkdtemp(path.join(tmpdir(), 'taskd-push-'));
        let droplet: Droplet;
        try {
          const bundle = path.join(work, 'droplet.tgz');
          const packed = await packWithProgress(folder, bundle);
          for (const skipped of packed.skippedFolders) note(`Left out ${skipped.path}: ${skipped.why}`);
          for (const link of packed.skippedLinks) note(`Left out ${link}: a symlink that points outside ${folder}`);
          note(
            `Packed ${packed.files} file${packed.files === 1 ? '' : 's'} from ${path.resolve(folder)} (${formatBytes((await stat(bundle)).size)})`,
          );
          warnIfLarge(packed);
          const processTypes = await readProcfile(folder);
          droplet = await client.post<Droplet>('/v3/droplets', {
            relationships: { app: { data: { guid: app.guid } } },
            ...(processTypes ? { process_types: processTypes } : {}),
          });
          const job = await uploadDroplet(client, droplet.guid, bundle);
          await waitForJob(client, job, 'Staging droplet...');
        } finally {
          await rm(work, { recursive: true, force: true });
        }
        await client.patch(`/v3/apps/${app.guid}/relationships/current_droplet`, { data: { guid: droplet.guid } });
        note('OK');
      }),
    );
  command.addHelpText(
    'after',
    `
What is uploaded: the folder's files, directories and symlinks (kept as symlinks). Left out:
  - every .git directory, and every .taskd directory (taskd's data folder: database, keys);
  - what ${IGNORE_FILE} at the folder's root names, one pattern a line, as in .gitignore:
    a name (at any depth), globs with * ? and **, a pattern with a slash anchored at the root,
    a trailing / for directories only, ! to take an earlier pattern back, # for comments;
  - symlinks that point outside the folder (the server would refuse the droplet), each named.
A Procfile ("type: command" lines), when there is one, gives the droplet's process types.
On a terminal, packing and uploading show their progress; a push over 50 MiB is warned about.`,
  );
  return withExamples(command, 'taskd push hello', 'taskd push reports ./build');
}

/** Packs the folder; on a terminal, the count of files and bytes so far is shown as it grows. */
async function packWithProgress(folder: string, bundle: string): Promise<PackedDroplet> {
  const spinner = new Spinner('Packing...').start();
  try {
    return await packFolder(folder, bundle, (files, bytes) => {
      spinner.label = `Packing... ${files} files, ${formatBytes(bytes)}`;
    });
  } finally {
    spinner.stop();
  }
}

/** Beyond this, a push is said to be large: tens of seconds to upload and to stage. */
const LARGE_PUSH_BYTES = 50 * 1024 * 1024;

/** Names where most of a large push comes from, so the user can leave it out if tasks do not need it. */
function warnIfLarge(packed: PackedDroplet): void {
  if (packed.bytes < LARGE_PUSH_BYTES) return;
  const largest = [...packed.bytesByTopEntry]
    .sort((a, b) => b[1] - a[1])
    .slice(0, 3)
    .map(([name, bytes]) => `${name} ${formatBytes(bytes)}`);
  note(
    `Warning: this push is ${formatBytes(packed.bytes)} before compression, most of it in ${largest.join(', ')}; what tasks do not need can be listed in ${IGNORE_FILE}`,
  );
}

async function appNamed(client: CfClient, target: Target, name: string): Promise<App> {
  const found = await findApp(client, target.space, name);
  if (found) return found;
  note(`Creating app ${name}...`);
  return client.post<App>('/v3/apps', { name, relationships: { space: { data: { guid: target.space.guid } } } });
}

/** Process types from a Procfile (`type: command` per line), as buildpacks read it. */
async function readProcfile(folder: string): Promise<Record<string, string> | undefined> {
  let text: string;
  try {
    text = await readFile(path.join(folder, 'Procfile'), 'utf8');
  } catch {
    return undefined;
  }
  const types: Record<string, string> = {};
  for (const line of text.split(/\r?\n/)) {
    const m = /^([A-Za-z0-9_-]+):\s*(.*)$/.exec(line.trim());
    if (m) types[m[1]!] = m[2]!;
  }
  return Object.keys(types).length ? types : undefined;
}

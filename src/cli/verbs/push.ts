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
import { IGNORE_FILE, packFolder, requireFolder } from '../client/pack.js';
import type { App, Droplet } from '../client/resources.js';
import { formatBytes } from '../client/terminal.js';
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
          const packed = await packFolder(folder, bundle);
          for (const link of packed.skippedLinks) note(`Left out ${link}: a symlink that points outside ${folder}`);
          note(`Packed ${packed.files} files from ${path.resolve(folder)} (${formatBytes((await stat(bundle)).size)})`);
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
  - every .git directory;
  - what ${IGNORE_FILE} at the folder's root names, one pattern a line, as in .gitignore:
    a name (at any depth), globs with * ? and **, a pattern with a slash anchored at the root,
    a trailing / for directories only, ! to take an earlier pattern back, # for comments;
  - symlinks that point outside the folder (the server would refuse the droplet), each named.
A Procfile ("type: command" lines), when there is one, gives the droplet's process types.`,
  );
  return withExamples(command, 'taskd push hello', 'taskd push reports ./build');
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

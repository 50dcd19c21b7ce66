// `taskd delete APP [-f]`: deletes an app with its droplets and tasks (running ones are stopped),
// asking first unless -f, in cf's words. An app that is not there is no failure: the goal is reached.
import { Command } from 'commander';
import { pathOf } from '../client/api-client.js';
import { CliError } from '../client/errors.js';
import { waitForJob } from '../client/droplet-upload.js';
import { findApp, requireTarget } from '../client/lookup.js';
import { note } from '../client/output.js';
import { Prompter } from '../client/prompt.js';
import { openClient, verbAction, withExamples } from '../client/verb.js';

export function deleteVerb(): Command {
  const command = new Command('delete')
    .description('delete an app, its droplets and its tasks (running tasks are stopped)')
    .argument('<app>', 'app name')
    .option('-f, --force', 'do not ask for confirmation')
    .action(
      verbAction(async (appName: string, opts: { force?: boolean }) => {
        const client = openClient();
        const { org, space } = requireTarget(client);
        if (!opts.force && !(await confirmed(`Really delete the app ${appName}? [yN]: `))) {
          note('Delete cancelled');
          return;
        }
        note(`Deleting app ${appName} in org ${org.name} / space ${space.name} as ${client.current.username}...`);
        const app = await findApp(client, space, appName);
        if (!app) {
          note(`App ${appName} does not exist.`);
          note('OK');
          return;
        }
        const res = await client.send(`/v3/apps/${app.guid}`, { method: 'DELETE' });
        const location = res.headers.get('location');
        await res.body?.cancel();
        if (location) await waitForJob(client, pathOf(location), 'Deleting app...');
        note('OK');
      }),
    );
  return withExamples(command, 'taskd delete hello', 'taskd delete hello -f');
}

/** A yes from the user; an answer that is not one, or none (standard input ended), is a no. */
async function confirmed(question: string): Promise<boolean> {
  const prompter = new Prompter();
  try {
    return /^y(es)?$/i.test(await prompter.ask(question));
  } catch (err) {
    if (err instanceof CliError) return false;
    throw err;
  } finally {
    prompter.close();
  }
}

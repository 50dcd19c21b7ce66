// `taskd orgs`, `spaces` and `apps`: what the user can see, as tables or the API's JSON.
import { Command } from 'commander';
import { query } from '../client/api-client.js';
import { requireTarget, requireTargetOrg } from '../client/lookup.js';
import { note, printJson, printTable, type OutputFormat } from '../client/output.js';
import type { App, Named } from '../client/resources.js';
import { openClient, verbAction, withExamples, withOutputOption } from '../client/verb.js';

export function listVerbs(): Command[] {
  return [orgsVerb(), spacesVerb(), appsVerb()];
}

function orgsVerb(): Command {
  const command = withOutputOption(new Command('orgs').description('list the orgs you can see')).action(
    verbAction(async (opts: { output: OutputFormat }) => {
      const client = openClient();
      const orgs = await client.all<Named>(`/v3/organizations${query({ order_by: 'name', per_page: 200 })}`);
      if (opts.output === 'json') return printJson(orgs);
      note(`Getting orgs as ${client.current.username}...`);
      if (!orgs.length) return note('No orgs found');
      printTable(
        ['name'],
        orgs.map((o) => [o.name]),
      );
    }),
  );
  return withExamples(command, 'taskd orgs', 'taskd orgs -o json');
}

function spacesVerb(): Command {
  const command = withOutputOption(new Command('spaces').description('list the spaces of the targeted org')).action(
    verbAction(async (opts: { output: OutputFormat }) => {
      const client = openClient();
      const org = requireTargetOrg(client);
      const spaces = await client.all<Named>(`/v3/spaces${query({ organization_guids: org.guid, order_by: 'name', per_page: 200 })}`);
      if (opts.output === 'json') return printJson(spaces);
      note(`Getting spaces in org ${org.name} as ${client.current.username}...`);
      if (!spaces.length) return note('No spaces found');
      printTable(
        ['name'],
        spaces.map((s) => [s.name]),
      );
    }),
  );
  return withExamples(command, 'taskd spaces');
}

function appsVerb(): Command {
  const command = withOutputOption(new Command('apps').description('list the apps of the targeted space')).action(
    verbAction(async (opts: { output: OutputFormat }) => {
      const client = openClient();
      const { org, space } = requireTarget(client);
      const apps = await client.all<App>(`/v3/apps${query({ space_guids: space.guid, order_by: 'name', per_page: 200 })}`);
      if (opts.output === 'json') return printJson(apps);
      note(`Getting apps in org ${org.name} / space ${space.name} as ${client.current.username}...`);
      // Said, not a bare header (as cf does); on stderr, so a script reading the list reads none.
      if (!apps.length) return note('No apps found');
      printTable(
        ['name', 'state', 'created'],
        apps.map((a) => [a.name, a.state, a.created_at ?? '']),
      );
    }),
  );
  return withExamples(command, 'taskd apps', 'taskd apps -o json');
}

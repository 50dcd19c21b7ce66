// Setting up who may do what where: create-org, create-space, create-user, set-space-role.
import { Command } from 'commander';
import { listValue, query, type CfClient } from '../client/api-client.js';
import { ApiFailure, CliError, UsageError } from '../client/errors.js';
import { findOrg, findSpace, requireTargetOrg } from '../client/lookup.js';
import { note } from '../client/output.js';
import type { Named } from '../client/resources.js';
import { openClient, verbAction, withExamples } from '../client/verb.js';
import { newPassword, refusePasswordFlag } from '../client/password-input.js';
import { Prompter } from '../client/prompt.js';

/** cf's role names and the API's role types. */
const SPACE_ROLES: Record<string, string> = {
  SpaceDeveloper: 'space_developer',
  SpaceManager: 'space_manager',
  SpaceAuditor: 'space_auditor',
  SpaceSupporter: 'space_supporter',
};

export function adminVerbs(): Command[] {
  return [createOrgVerb(), createSpaceVerb(), createUserVerb(), setSpaceRoleVerb()];
}

const as = (client: CfClient) => client.current.username ?? 'you';

function createOrgVerb(): Command {
  const command = new Command('create-org')
    .description('create an org')
    .argument('<name>', 'org name')
    .action(
      verbAction(async (name: string) => {
        const client = openClient();
        note(`Creating org ${name} as ${as(client)}...`);
        // An org that exists already is the goal reached (cf says so and exits 0): a setup
        // script that creates its org can be run again.
        if (!(await createdUnlessExists(() => client.post('/v3/organizations', { name }), /already exists/)))
          return existed(`Organization '${name}' already exists.`);
        note('OK');
        note(`TIP: use 'taskd target -o ${name}' to target the new org`);
      }),
    );
  return withExamples(command, 'taskd create-org demo');
}

function createSpaceVerb(): Command {
  const command = new Command('create-space')
    .description('create a space in the targeted org (or the one given)')
    .argument('<name>', 'space name')
    .option('-o, --org <org>', 'org to create the space in')
    .action(
      verbAction(async (name: string, opts: { org?: string }) => {
        const client = openClient();
        const org = opts.org ? await findOrg(client, opts.org) : requireTargetOrg(client);
        note(`Creating space ${name} in org ${org.name} as ${as(client)}...`);
        const create = () => client.post('/v3/spaces', { name, relationships: { organization: { data: { guid: org.guid } } } });
        if (!(await createdUnlessExists(create, /must be unique|already exists/))) return existed(`Space '${name}' already exists.`);
        note('OK');
        note(`TIP: use 'taskd target -o ${org.name} -s ${name}' to target the new space`);
      }),
    );
  return withExamples(command, 'taskd create-space dev', 'taskd create-space staging -o demo');
}

function createUserVerb(): Command {
  const command = new Command('create-user')
    .description('create a user (admins only); the password is asked for, twice, or read with --password-stdin')
    .argument('<username>', 'user name')
    .option('--password-stdin', 'read the password from standard input')
    // A password typed after the name is refused with the reason, not as a mere extra argument.
    .allowExcessArguments(true)
    .action(
      verbAction(async (username: string, opts: { passwordStdin?: boolean }, self: Command) => {
        if (self.args.length > 1) refusePasswordFlag(self.args[1]);
        const prompter = new Prompter();
        let password: string;
        try {
          password = await newPassword(opts.passwordStdin, prompter, `Password for ${username}: `);
        } finally {
          prompter.close();
        }
        const client = openClient();
        note(`Creating user ${username} as ${as(client)}...`);
        await client.post('/v3/users', { username, password });
        note('OK');
        note(`TIP: assign roles with 'taskd set-space-role ${username} ORG SPACE SpaceDeveloper'`);
      }),
    );
  return withExamples(command, 'taskd create-user alice', 'taskd create-user alice --password-stdin < alice-password.txt');
}

function setSpaceRoleVerb(): Command {
  const command = new Command('set-space-role')
    .description(`give a user a role in a space (${Object.keys(SPACE_ROLES).join(', ')})`)
    .argument('<username>', 'user name')
    .argument('<org>', 'org name')
    .argument('<space>', 'space name')
    .argument('<role>', Object.keys(SPACE_ROLES).join(' | '))
    .action(
      verbAction(async (username: string, orgName: string, spaceName: string, role: string) => {
        const type = SPACE_ROLES[role];
        if (!type) throw new UsageError(`unknown role '${role}'; use one of ${Object.keys(SPACE_ROLES).join(', ')}`);
        const client = openClient();
        const org = await findOrg(client, orgName);
        const space = await findSpace(client, org, spaceName);
        const [user] = await client.all<Named & { username: string }>(`/v3/users${query({ usernames: listValue(username) })}`);
        if (!user) throw new CliError(`User '${username}' not found`);
        note(`Assigning role ${role} to user ${username} in org ${org.name} / space ${space.name} as ${as(client)}...`);
        // A space role needs a role in the space's org first; cf makes the user an org user.
        await grant(client, {
          type: 'organization_user',
          relationships: { user: { data: { guid: user.guid } }, organization: { data: { guid: org.guid } } },
        });
        await grant(client, { type, relationships: { user: { data: { guid: user.guid } }, space: { data: { guid: space.guid } } } });
        note('OK');
      }),
    );
  return withExamples(command, 'taskd set-space-role alice demo dev SpaceDeveloper');
}

function existed(notice: string): void {
  note(notice);
  note('OK');
}

/** Creates a resource: false when the API says one of that name exists already (its 422 detail matches `exists`). */
async function createdUnlessExists(create: () => Promise<unknown>, exists: RegExp): Promise<boolean> {
  try {
    await create();
    return true;
  } catch (err) {
    if (err instanceof ApiFailure && err.status === 422 && exists.test(err.detail)) return false;
    throw err;
  }
}

/** Creates a role; one the user already has is fine (cf says OK too). */
async function grant(client: CfClient, role: unknown): Promise<void> {
  try {
    await client.post('/v3/roles', role);
  } catch (err) {
    if (err instanceof ApiFailure && err.status === 422 && /already has/.test(err.detail)) return;
    throw err;
  }
}

// `taskd login`, `logout` and `target`: the session and the org and space verbs act in. No
// password on the command line: the prompt, --password-stdin or TASKD_PASSWORD.
import { Command, Option } from 'commander';
import { CfClient, normaliseApiUrl, query, requestToken, type Page, type TokenGrant } from '../client/api-client.js';
import { requireTaskdApi } from '../client/api-check.js';
import type { NamedRef, Session } from '../client/config-store.js';
import { ApiFailure, CliError, Unreachable, UsageError } from '../client/errors.js';
import { loginPassword, refusePasswordFlag } from '../client/password-input.js';
import { tokenClaims } from '../client/token-claims.js';
import { findOrg, findSpace } from '../client/lookup.js';
import { note, parseOutputFormat, printFields, printJson, type OutputFormat } from '../client/output.js';
import { Prompter } from '../client/prompt.js';
import type { Named } from '../client/resources.js';
import { openClient, sessionStore, verbAction, withExamples } from '../client/verb.js';

export function sessionVerbs(): Command[] {
  return [loginVerb(), logoutVerb(), targetVerb()];
}

function loginVerb(): Command {
  const command = new Command('login')
    .description('log in to a taskd API (asks for what is not given)')
    .option('-a, --api <url>', 'API URL, e.g. http://127.0.0.1:8080 (default: the last one)')
    .option('-u, --username <user>', 'user name')
    .option('--password-stdin', 'read the password from standard input (else TASKD_PASSWORD, else the prompt)')
    // Refused with the reason: a password on the command line is readable by every local user.
    .addOption(new Option('-p, --password <password>').hideHelp())
    .option('-o, --org <org>', 'org to target')
    .option('-s, --space <space>', 'space to target')
    .action(
      verbAction(
        async (opts: { api?: string; username?: string; password?: string; passwordStdin?: boolean; org?: string; space?: string }) => {
          refusePasswordFlag(opts.password);
          if (opts.passwordStdin && !opts.username) throw new UsageError('--password-stdin needs the user name as -u USER');
          if (opts.passwordStdin && !opts.api && !sessionStore().load().api)
            throw new UsageError('--password-stdin needs the API as -a URL');
          const store = sessionStore();
          const previous = store.load();
          const prompter = new Prompter();
          let api: string;
          let username: string;
          let grant: TokenGrant;
          try {
            api = normaliseApiUrl(opts.api ?? previous.api ?? (await prompter.ask('API endpoint: ')));
            note(`API endpoint: ${api}`);
            await requireTaskdApi(api);
            username = opts.username ?? (await prompter.ask('Username: '));
            grant = await authenticate(api, username, opts.passwordStdin, prompter);
          } finally {
            prompter.close();
          }
          // A new API or user starts without a target: the old one names another server's resources.
          const sameTarget = previous.api === api && previous.username === username;
          store.save({
            api,
            username,
            accessToken: grant.access_token,
            refreshToken: grant.refresh_token,
            ...(sameTarget ? { org: previous.org, space: previous.space } : {}),
          });
          note('OK');
          const client = CfClient.open(store);
          await chooseTarget(client, opts.org, opts.space, true);
          showTarget(client);
        },
      ),
    );
  return withExamples(
    command,
    'taskd login -a http://127.0.0.1:8080 -u admin',
    'taskd login -a https://taskd.example.org -u alice -o demo -s dev',
    'taskd login -a http://127.0.0.1:8080 -u admin --password-stdin < .taskd/admin-password',
  );
}

/** Tries of a password typed at the prompt, as cf allows; one from stdin or the environment gets one. */
const PROMPTED_TRIES = 3;

/** The password grant; a password typed at the prompt and rejected is asked for again, as cf does. */
async function authenticate(api: string, username: string, fromStdin: boolean | undefined, prompter: Prompter): Promise<TokenGrant> {
  const prompted = !fromStdin && !process.env.TASKD_PASSWORD;
  let password = await loginPassword(fromStdin, prompter);
  for (let tries = 1; ; tries++) {
    note('Authenticating...');
    try {
      return await requestToken(api, { grant_type: 'password', username, password });
    } catch (err) {
      if (!(err instanceof ApiFailure && err.status === 401)) throw err;
      if (!prompted) throw new CliError(`Credentials were rejected (${err.detail}); check the user name and the password`);
      if (tries === PROMPTED_TRIES) throw new CliError(`Unable to authenticate: the credentials were rejected ${tries} times`);
      note('Credentials were rejected, please try again.');
      password = await loginPassword(false, prompter);
    }
  }
}

function logoutVerb(): Command {
  const command = new Command('logout').description('end the session: the server revokes its tokens, then they are forgotten here').action(
    verbAction(async () => {
      const store = sessionStore();
      const session = store.load();
      // Forgotten here whatever the server says: a user who logs out must not stay logged in.
      try {
        await revokeLogin(session);
      } finally {
        store.save(session.api ? { api: session.api } : {});
      }
      note('OK');
    }),
  );
  return withExamples(command, 'taskd logout');
}

/**
 * Revokes the session's login on the server (UAA's DELETE /oauth/token/revoke/{id}, the id being
 * the login's, which its refresh token names). A session the server no longer honours is over
 * already; a server out of reach is said, as the tokens then live on until they expire.
 */
async function revokeLogin(session: Session): Promise<void> {
  const { sessionId } = tokenClaims(session.refreshToken);
  if (!session.api || !session.accessToken || !sessionId) return;
  try {
    await CfClient.open(sessionStore()).send(`/oauth/token/revoke/${encodeURIComponent(sessionId)}`, { method: 'DELETE' });
  } catch (err) {
    if (err instanceof ApiFailure && (err.status === 401 || err.status === 404)) return;
    if (err instanceof CliError && /session has expired/.test(err.message)) return;
    if (err instanceof Unreachable) {
      note(`taskd: ${err.message}; the tokens were forgotten here but stay valid on the server until they expire`);
      return;
    }
    throw err;
  }
}

function targetVerb(): Command {
  const command = new Command('target')
    .description('set or show the targeted org and space')
    .option('-o, --org <org>', 'org to target')
    .option('-s, --space <space>', 'space to target (in the given or targeted org)')
    .option('--output <format>', "'table' or 'json'", parseOutputFormat, 'table' as OutputFormat)
    .action(
      verbAction(async (opts: { org?: string; space?: string; output: OutputFormat }) => {
        const client = openClient();
        if (opts.org || opts.space) await chooseTarget(client, opts.org, opts.space, false);
        if (opts.output === 'json')
          printJson({
            api: client.api,
            user: client.current.username,
            org: client.current.org ?? null,
            space: client.current.space ?? null,
          });
        else showTarget(client);
      }),
    );
  return withExamples(command, 'taskd target -o demo -s dev', 'taskd target');
}

/**
 * Targets by name. An org alone targets its only space, if it has exactly one (as cf does); after
 * login with no org named, the user's only org likewise.
 */
async function chooseTarget(
  client: CfClient,
  orgName: string | undefined,
  spaceName: string | undefined,
  afterLogin: boolean,
): Promise<void> {
  let org: NamedRef | undefined = client.current.org;
  if (orgName) org = ref(await findOrg(client, orgName));
  else if (afterLogin && !org) org = await onlyOne(client, '/v3/organizations?per_page=2');
  if (!org) {
    if (spaceName) throw new CliError('no org targeted; name one with -o ORG');
    return;
  }
  let space: NamedRef | undefined = orgName ? undefined : client.current.space;
  if (spaceName) space = ref(await findSpace(client, org, spaceName));
  else if (!space) space = await onlyOne(client, `/v3/spaces${query({ organization_guids: org.guid, per_page: 2 })}`);
  client.update({ org, space });
}

async function onlyOne(client: CfClient, path: string): Promise<NamedRef | undefined> {
  const page = await client.get<Page<Named>>(path);
  return page.pagination.total_results === 1 ? ref(page.resources[0]!) : undefined;
}

const ref = (r: Named): NamedRef => ({ guid: r.guid, name: r.name });

function showTarget(client: CfClient): void {
  const { username, org, space } = client.current;
  printFields([
    ['API endpoint', client.api],
    ['user', username],
    ['org', org?.name ?? 'No org targeted, use `taskd target -o ORG`'],
    ['space', space?.name ?? 'No space targeted, use `taskd target -s SPACE`'],
  ]);
}

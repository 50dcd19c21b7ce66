// A user's credentials from the command line, through UAA's endpoints that taskd serves:
// `taskd passwd` (own password), `taskd admin reset-password USER`, `taskd delete-user USER` and
// `taskd revoke-tokens [USER]`. No password is ever taken as an argument.
import { Command } from 'commander';
import { listValue, query, requestToken, type CfClient } from '../client/api-client.js';
import { CliError } from '../client/errors.js';
import { note } from '../client/output.js';
import { newPassword, passwordFromStdin } from '../client/password-input.js';
import { Prompter } from '../client/prompt.js';
import type { Named } from '../client/resources.js';
import { tokenClaims } from '../client/token-claims.js';
import { openClient, sessionStore, verbAction, withExamples } from '../client/verb.js';

export function credentialVerbs(): Command[] {
  return [passwdVerb(), deleteUserVerb(), revokeTokensVerb()];
}

/** The verbs of `taskd admin` that are about credentials. */
export function adminCredentialVerbs(): Command[] {
  return [resetPasswordVerb()];
}

const as = (client: CfClient) => client.current.username ?? 'you';

async function findUser(client: CfClient, username: string): Promise<Named & { username: string }> {
  const [user] = await client.all<Named & { username: string }>(`/v3/users${query({ usernames: listValue(username) })}`);
  if (!user) throw new CliError(`User '${username}' not found`);
  return user;
}

function ownGuid(client: CfClient): string {
  const { userGuid } = tokenClaims(client.current.accessToken);
  if (!userGuid) throw new CliError('the session names no user; run `taskd login` again');
  return userGuid;
}

function passwdVerb(): Command {
  const command = new Command('passwd').description('change your password (every session of yours ends; this one logs in again)').action(
    verbAction(async () => {
      const client = openClient();
      const prompter = new Prompter();
      let oldPassword: string;
      let password: string;
      try {
        oldPassword = await prompter.askSecret('Current password: ');
        password = await newPassword(false, prompter);
      } finally {
        prompter.close();
      }
      note(`Changing password for user ${as(client)}...`);
      await client.json('PUT', `/Users/${encodeURIComponent(ownGuid(client))}/password`, { oldPassword, password });
      // The change revoked every token of the user, this session's too: log in with the new password.
      const username = client.current.username;
      if (username) {
        const grant = await requestToken(client.api, { grant_type: 'password', username, password });
        client.update({ accessToken: grant.access_token, refreshToken: grant.refresh_token });
      } else {
        sessionStore().save({ api: client.api });
      }
      note('OK');
    }),
  );
  return withExamples(command, 'taskd passwd');
}

function resetPasswordVerb(): Command {
  const command = new Command('reset-password')
    .description("set another user's password (admins only); their tokens stop working")
    .argument('<username>', 'user name')
    .option('--password-stdin', 'read the new password from standard input (else it is asked for, twice)')
    .action(
      verbAction(async (username: string, opts: { passwordStdin?: boolean }) => {
        const client = openClient();
        const user = await findUser(client, username);
        const prompter = new Prompter();
        let password: string;
        try {
          password = opts.passwordStdin ? await passwordFromStdin() : await newPassword(false, prompter, `New password for ${username}: `);
        } finally {
          prompter.close();
        }
        note(`Resetting the password of user ${username} as ${as(client)}...`);
        await client.json('PUT', `/Users/${encodeURIComponent(user.guid)}/password`, { password });
        note('OK');
      }),
    );
  return withExamples(
    command,
    'taskd admin reset-password alice',
    'pwgen -s 24 1 | tee alice.txt | taskd admin reset-password alice --password-stdin',
  );
}

function deleteUserVerb(): Command {
  const command = new Command('delete-user')
    .description('delete a user (admins only): their roles go, their tokens stop working at once')
    .argument('<username>', 'user name')
    .option('-f, --force', 'do not ask for confirmation')
    .action(
      verbAction(async (username: string, opts: { force?: boolean }) => {
        const client = openClient();
        if (!opts.force) {
          const prompter = new Prompter();
          let answer: string;
          try {
            answer = await prompter.ask(`Really delete the user ${username}? [yN]: `);
          } finally {
            prompter.close();
          }
          if (!/^y(es)?$/i.test(answer)) {
            note('Delete cancelled');
            return;
          }
        }
        const user = await findUser(client, username);
        note(`Deleting user ${username} as ${as(client)}...`);
        await client.send(`/v3/users/${encodeURIComponent(user.guid)}`, { method: 'DELETE' });
        note('OK');
      }),
    );
  return withExamples(command, 'taskd delete-user alice', 'taskd delete-user alice -f');
}

function revokeTokensVerb(): Command {
  const command = new Command('revoke-tokens')
    .description("revoke every token of a user, in every session (yours without USER; another's: admins only)")
    .argument('[username]', 'user name (default: you)')
    .action(
      verbAction(async (username: string | undefined) => {
        const client = openClient();
        const own = username === undefined || username === client.current.username;
        const guid = own ? ownGuid(client) : (await findUser(client, username)).guid;
        note(`Revoking every token of user ${username ?? as(client)} as ${as(client)}...`);
        await client.send(`/oauth/token/revoke/user/${encodeURIComponent(guid)}`);
        // Ours are revoked too: the session here is over.
        if (own) sessionStore().save({ api: client.api });
        note('OK');
        if (own) note('TIP: log in again with `taskd login`');
      }),
    );
  return withExamples(command, 'taskd revoke-tokens', 'taskd revoke-tokens alice');
}

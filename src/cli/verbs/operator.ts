// `taskd admin ...`: an operator's acts on the running service, through its API as an admin.
// rotate-signing-key: a new token signing key (POST /token_keys); tokens signed before keep
// working until they expire, so nobody is logged out.
import { Command } from 'commander';
import { note } from '../client/output.js';
import { openClient, verbAction, withExamples } from '../client/verb.js';

interface TokenKey {
  kid: string;
}

export function operatorVerbs(): Command {
  const admin = new Command('admin').description("an operator's acts on the service (admins only)");
  for (const verb of [rotateSigningKeyVerb()]) admin.addCommand(verb.exitOverride());
  return admin;
}

function rotateSigningKeyVerb(): Command {
  const command = new Command('rotate-signing-key')
    .description('make a new token signing key; tokens signed with the older keys keep working until they expire')
    .action(
      verbAction(async () => {
        const client = openClient();
        note(`Making a new token signing key as ${client.current.username ?? 'you'}...`);
        const made = await client.post<TokenKey>('/token_keys');
        note(`OK: new tokens are signed with key ${made.kid}`);
      }),
    );
  return withExamples(command, 'taskd admin rotate-signing-key');
}

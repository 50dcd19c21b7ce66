// The client_credentials grant: a configured client (auth/uaa-clients.ts), its secret already
// checked, gets a token of its own. Nothing is recorded: a client token is not a login with a
// refresh token family, and it ends with the client's removal or its expiry.
import type { UaaClient } from '../auth/uaa-clients.js';
import type { ClientTokenResponse } from '../auth/tokens.js';
import type { CredentialContext } from './credentials.js';

export function logInClient(ctx: Pick<CredentialContext, 'tokens' | 'issuer'>, client: UaaClient): Promise<ClientTokenResponse> {
  return ctx.tokens.issueClientToken(client, ctx.issuer);
}

// The public keys tokens are signed with, as UAA publishes them, so that anyone may check a
// taskd token without asking taskd:
//   GET  /token_key    the key that signs now:   {"kty":"RSA","e":"AQAB","use":"sig","kid":…,"alg":"RS256","value":PEM,"n":…}
//   GET  /token_keys   every key that verifies:  {"keys":[…]} (the newest first)
// and taskd's own addition, for `taskd admin rotate-signing-key`:
//   POST /token_keys   (admins) makes a new key, which signs from now on -> 201 with that key;
//                      refusals in CF's envelope, as every taskd-only admin act
import type { AppContext } from '../../../context.js';
import type { TypedApp } from '../../typed-app.js';
import { rotateSigningKey } from '../../../actions/signing-keys.js';
import { actorOf } from '../request.js';

export function tokenKeyRoutes(app: TypedApp, ctx: AppContext) {
  const keys = ctx.tokens.keys;
  app.get('/token_key', { config: { public: true } }, async () => keys.currentTokenKey());
  app.get('/token_keys', { config: { public: true } }, async () => ({ keys: keys.tokenKeys() }));
  app.post('/token_keys', async (request, reply) => {
    const made = await rotateSigningKey(keys, actorOf(request));
    return reply.status(201).send(made);
  });
}

// GET /.well-known/openid-configuration, and the same under the issuer (OIDC discovery appends
// the well-known path to the issuer, `<base>/oauth/token`), as UAA serves both. Public, as UAA's.
// The issuer is the one tokens issued through the same base URL carry. client_credentials is
// listed only where a client may use it (TASKD_UAA_CLIENTS_FILE names one).
import type { AppContext } from '../../../context.js';
import type { TypedApp } from '../../typed-app.js';
import { baseUrl } from '../request.js';
import { presentOpenIdConfiguration } from '../presenters/openid-configuration.js';
import { GRANT_TYPES } from './oauth.js';

export function openIdConfigurationRoutes(app: TypedApp, ctx: AppContext) {
  const grants = GRANT_TYPES.filter((g) => g !== 'client_credentials' || ctx.config.uaaClients.length > 0);
  for (const url of ['/.well-known/openid-configuration', '/oauth/token/.well-known/openid-configuration']) {
    app.get(url, { config: { public: true } }, async (request) => presentOpenIdConfiguration(baseUrl(ctx, request), grants));
  }
}

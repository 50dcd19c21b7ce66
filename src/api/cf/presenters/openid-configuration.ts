// OpenID Connect discovery as UAA answers it (OpenIdConfiguration): its field names and order,
// with what taskd really offers. taskd has no browser login (UAA's /oauth/authorize and
// /logout.do), so there is no authorization_endpoint (RFC 8414 leaves it out when no grant uses
// it), no response type, PKCE method, UI locale or end_session_endpoint; and no private_key_jwt.
// It lists grant_types_supported, which UAA leaves to its default, so clients need not guess.
import { issuerAt } from '../../../auth/tokens.js';
import { CLIENT_AUTHORITIES } from '../../../auth/uaa-clients.js';

/** The claims taskd's tokens carry, in UAA's order; `authorities` is in client tokens only. */
const CLAIMS = [
  'sub',
  'user_name',
  'origin',
  'iss',
  'client_id',
  'aud',
  'zid',
  'grant_type',
  'user_id',
  'azp',
  'scope',
  'exp',
  'iat',
  'jti',
  'cid',
  'email',
  'authorities',
];

export function presentOpenIdConfiguration(base: string, grantTypes: readonly string[]) {
  return {
    issuer: issuerAt(base),
    token_endpoint: `${base}/oauth/token`,
    token_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post'],
    userinfo_endpoint: `${base}/userinfo`,
    jwks_uri: `${base}/token_keys`,
    scopes_supported: CLIENT_AUTHORITIES.filter((s) => s !== 'uaa.none'),
    response_types_supported: [],
    subject_types_supported: ['public'],
    id_token_signing_alg_values_supported: ['RS256'],
    claim_types_supported: ['normal'],
    claims_supported: CLAIMS,
    claims_parameter_supported: false,
    grant_types_supported: grantTypes,
  };
}

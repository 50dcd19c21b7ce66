// Rotating the token signing key on demand (`taskd admin rotate-signing-key`): an admin's act, say
// after a secret key file or a database copy may have leaked. The new key signs from now on;
// tokens signed before keep working until they expire.
import type { Permissions } from '../auth/permissions.js';
import type { SigningKeys, TokenKey } from '../auth/signing-keys.js';
import { ApiError } from '../core/errors.js';

export async function rotateSigningKey(keys: SigningKeys, actor: Permissions): Promise<TokenKey> {
  if (!actor.isAdmin) throw new ApiError('NotAuthorized');
  return keys.rotate({ force: true });
}

import { GLOBAL_SCOPES } from '../../../auth/scopes.js';
import { parseMetadata } from '../../../core/metadata.js';
import type { UserInput } from '../../../actions/users.js';
import { passwordPolicyProblem, type PasswordPolicy } from '../../../auth/password-policy.js';
import { bodyObject, checkName, isObject, raiseIfAny, unknownFields } from './common.js';

/** taskd's `{username, password, scopes}` form, or CF's `{guid}` form (no password: cannot log in). */
export function parseUserCreate(raw: unknown, policy: PasswordPolicy): UserInput {
  const body = bodyObject(raw);
  const errors: string[] = [];
  unknownFields(body, ['guid', 'username', 'password', 'origin', 'scopes', 'metadata'], errors);
  const msg: UserInput = { scopes: [], metadata: parseMetadata(body.metadata, errors) };
  if (body.guid !== undefined) {
    // CF's GuidValidator, then its UserCreateValidator.
    if (typeof body.guid !== 'string') errors.push('Guid must be a string');
    if (typeof body.guid !== 'string' || body.guid.length < 1 || body.guid.length > 200)
      errors.push('Guid must be between 1 and 200 characters');
    else msg.guid = body.guid;
    if (body.username !== undefined) errors.push("Username cannot be provided with 'guid'");
    if (body.origin !== undefined) errors.push("Origin cannot be provided with 'guid'");
  } else if (body.username !== undefined) {
    msg.username = checkName(body.username, errors, 'username', 255);
    if (typeof body.password !== 'string' || body.password.length === 0) errors.push("Password can't be blank");
    else {
      const problem = passwordPolicyProblem(body.password, policy);
      if (problem) errors.push(problem);
      else msg.password = body.password;
    }
    if (body.origin !== undefined && body.origin !== 'uaa') errors.push("Origin must be 'uaa'");
  } else if (body.origin !== undefined) {
    errors.push("Origin can only be provided together with 'username'");
  } else {
    errors.push("Guid or 'username' and 'origin' must be provided");
  }
  if (body.scopes !== undefined) {
    if (
      !Array.isArray(body.scopes) ||
      !body.scopes.every((s) => typeof s === 'string' && (GLOBAL_SCOPES as readonly string[]).includes(s))
    ) {
      errors.push(`Scopes must be a list of: ${GLOBAL_SCOPES.map((s) => `'${s}'`).join(', ')}`);
    } else msg.scopes = [...new Set(body.scopes as string[])];
  }
  if (isObject(body) && body.password !== undefined && body.username === undefined)
    errors.push("Password can only be given with 'username'");
  raiseIfAny(errors);
  return msg;
}

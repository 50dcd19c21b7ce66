// UAA's password change body (PasswordChangeRequest): {"oldPassword", "password"}. Other keys are
// ignored, as UAA's Jackson mapping ignores them; the policy is the action's to check.
import type { PasswordChange } from '../../../actions/credentials.js';
import { ApiError } from '../../../core/errors.js';
import { isObject } from './common.js';

export function parsePasswordChange(raw: unknown): PasswordChange {
  if (!isObject(raw)) throw new ApiError('BadRequest', 'The request body must be a JSON object with "password" (and "oldPassword")');
  const { oldPassword, password } = raw as Record<string, unknown>;
  if (typeof password !== 'string' || password === '') throw new ApiError('BadRequest', 'password is required');
  if (oldPassword !== undefined && oldPassword !== null && typeof oldPassword !== 'string')
    throw new ApiError('BadRequest', 'oldPassword must be a string');
  return { password, ...(typeof oldPassword === 'string' && oldPassword !== '' ? { oldPassword } : {}) };
}

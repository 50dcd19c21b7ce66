// The password policy (TASKD_PASSWORD_MIN_LENGTH, TASKD_PASSWORD_MAX_LENGTH), the same wherever a
// password is set: user create, change, reset and the admin's own. Length only, as NIST SP
// 800-63B advises: composition rules make passwords harder to remember, not to guess.
import type { Config } from '../config.js';

export type PasswordPolicy = Pick<Config, 'passwordMinLength' | 'passwordMaxLength'>;

/** Why the password is refused, in CF's (Rails') words; undefined when it meets the policy. */
export function passwordPolicyProblem(password: string, policy: PasswordPolicy): string | undefined {
  // Characters as a person counts them (code points), not UTF-16 units.
  const length = [...password].length;
  if (length < policy.passwordMinLength) return `Password is too short (minimum is ${policy.passwordMinLength} characters)`;
  if (length > policy.passwordMaxLength) return `Password is too long (maximum is ${policy.passwordMaxLength} characters)`;
  return undefined;
}

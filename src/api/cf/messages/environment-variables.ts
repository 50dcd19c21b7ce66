// Environment variables of an app: the rules CF applies to `environment_variables` on app create
// and to `var` on PATCH /v3/apps/:guid/environment_variables.
import { jsonForMessage } from '../../../core/json-for-message.js';
import type { EnvironmentVariablesChange } from '../../../actions/apps.js';
import { bodyObject, humanize, isObject, raiseIfAny, unknownFields } from './common.js';

/** Ruby's `to_s` of a JSON value, as CF interpolates a rejected value into its message. */
function rubyString(v: unknown): string {
  if (typeof v === 'string') return v;
  if (v === null) return '';
  if (typeof v === 'object') return jsonForMessage(v);
  return String(v);
}

/**
 * Checks an object of variables. Key problems are reported against `keyLabel` (first problem per
 * key, in CF's order); a value that is neither a string nor null is a base-level message.
 * CF words these differently per endpoint: `Var cannot set PORT` from the PATCH message, but
 * `environment_variables cannot set PORT` from the app model on create.
 */
export function checkEnvironmentVariables(
  value: unknown,
  attr: string,
  keyLabel: string,
  errors: string[],
  allowNull: boolean,
): EnvironmentVariablesChange | undefined {
  const label = keyLabel;
  if (!isObject(value)) {
    errors.push(`${humanize(attr)} must be an object`);
    return undefined;
  }
  const out: EnvironmentVariablesChange = {};
  let ok = true;
  for (const [key, inner] of Object.entries(value)) {
    let problem: string | undefined;
    if (key.length < 1) problem = 'key must be a minimum length of 1';
    else if (/^VCAP_/i.test(key)) problem = 'cannot start with VCAP_';
    else if (/^VMC/i.test(key)) problem = 'cannot start with VMC_';
    else if (/^PORT$/i.test(key)) problem = 'cannot set PORT';
    if (problem) {
      errors.push(`${label} ${problem}`);
      ok = false;
    } else if (typeof inner !== 'string' && !(allowNull && inner === null)) {
      errors.push(`Non-string value in environment variable for key '${key}', value '${rubyString(inner)}'`);
      ok = false;
    } else {
      out[key] = inner as string | null;
    }
  }
  return ok ? out : undefined;
}

export function parseEnvironmentVariablesUpdate(raw: unknown): EnvironmentVariablesChange {
  const body = bodyObject(raw);
  const errors: string[] = [];
  unknownFields(body, ['var'], errors);
  const change = checkEnvironmentVariables(body.var, 'var', 'Var', errors, true);
  raiseIfAny(errors);
  return change!;
}

// PATCH /v3/feature_flags/:name (CF's FeatureFlagsUpdateMessage).
import { parseMetadata } from '../../../core/metadata.js';
import type { FeatureFlagChange } from '../../../actions/feature-flags.js';
import { bodyObject, raiseIfAny, unknownFields } from './common.js';

export function parseFeatureFlagUpdate(raw: unknown): FeatureFlagChange {
  const body = bodyObject(raw);
  const errors: string[] = [];
  unknownFields(body, ['custom_error_message', 'enabled', 'metadata'], errors);
  const msg: FeatureFlagChange = {};
  if ('enabled' in body) {
    if (typeof body.enabled !== 'boolean') errors.push('Enabled must be a boolean');
    else msg.enabled = body.enabled;
  }
  const custom = body.custom_error_message;
  if (custom === null) msg.customErrorMessage = null;
  else if (custom !== undefined) {
    if (typeof custom !== 'string') errors.push('Custom error message must be a string');
    else if (custom.length < 1) errors.push('Custom error message is too short (minimum is 1 character)');
    else if (custom.length > 250) errors.push('Custom error message is too long (maximum is 250 characters)');
    else msg.customErrorMessage = custom;
  }
  // CF's message allows `metadata` (flags have none to keep); it is validated and otherwise ignored.
  parseMetadata(body.metadata, errors);
  raiseIfAny(errors);
  return msg;
}

import { parseMetadata } from '../../../core/metadata.js';
import type { OrganizationChange, OrganizationInput } from '../../../actions/organizations.js';
import { bodyObject, checkBoolean, checkName, raiseIfAny, unknownFields } from './common.js';

export function parseOrganizationCreate(raw: unknown): OrganizationInput {
  const body = bodyObject(raw);
  const errors: string[] = [];
  unknownFields(body, ['name', 'suspended', 'metadata'], errors);
  const name = checkName(body.name, errors);
  const suspended = checkBoolean(body.suspended, 'suspended', errors);
  const metadata = parseMetadata(body.metadata, errors);
  raiseIfAny(errors);
  return { name: name!, suspended: suspended ?? false, metadata };
}

export function parseOrganizationUpdate(raw: unknown): OrganizationChange {
  const body = bodyObject(raw);
  const errors: string[] = [];
  unknownFields(body, ['name', 'suspended', 'metadata'], errors);
  const name = body.name === undefined ? undefined : checkName(body.name, errors);
  const suspended = checkBoolean(body.suspended, 'suspended', errors);
  const metadata = parseMetadata(body.metadata, errors);
  raiseIfAny(errors);
  return { name, suspended, metadata };
}

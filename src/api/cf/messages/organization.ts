import { parseMetadata, type MetadataChange } from '../../../core/metadata.js';
import { bodyObject, checkBoolean, checkName, raiseIfAny, unknownFields } from './common.js';

export interface OrganizationCreateMessage {
  name: string;
  suspended: boolean;
  metadata: MetadataChange;
}

export interface OrganizationUpdateMessage {
  name?: string;
  suspended?: boolean;
  metadata: MetadataChange;
}

export function parseOrganizationCreate(raw: unknown): OrganizationCreateMessage {
  const body = bodyObject(raw);
  const errors: string[] = [];
  unknownFields(body, ['name', 'suspended', 'metadata'], errors);
  const name = checkName(body.name, errors);
  const suspended = checkBoolean(body.suspended, 'suspended', errors);
  const metadata = parseMetadata(body.metadata, errors);
  raiseIfAny(errors);
  return { name: name!, suspended: suspended ?? false, metadata };
}

export function parseOrganizationUpdate(raw: unknown): OrganizationUpdateMessage {
  const body = bodyObject(raw);
  const errors: string[] = [];
  unknownFields(body, ['name', 'suspended', 'metadata'], errors);
  const name = body.name === undefined ? undefined : checkName(body.name, errors);
  const suspended = checkBoolean(body.suspended, 'suspended', errors);
  const metadata = parseMetadata(body.metadata, errors);
  raiseIfAny(errors);
  return { name, suspended, metadata };
}

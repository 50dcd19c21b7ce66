import { parseMetadata, type MetadataChange } from '../../../core/metadata.js';
import { bodyObject, checkName, isObject, raiseIfAny, relationshipGuid, unknownFields } from './common.js';

export interface SpaceCreateMessage {
  name: string;
  organizationGuid: string;
  metadata: MetadataChange;
}

export interface SpaceUpdateMessage {
  name?: string;
  metadata: MetadataChange;
}

export function parseSpaceCreate(raw: unknown): SpaceCreateMessage {
  const body = bodyObject(raw);
  const errors: string[] = [];
  unknownFields(body, ['name', 'relationships', 'metadata'], errors);
  const name = checkName(body.name, errors);
  if (!isObject(body.relationships)) errors.push("Relationships 'relationships' is not an object");
  const organizationGuid = relationshipGuid(body, 'organization');
  if (isObject(body.relationships) && organizationGuid === undefined) errors.push('Relationships Organization must be structured like this: "organization: {"data": {"guid": "valid-guid"}}"');
  const metadata = parseMetadata(body.metadata, errors);
  raiseIfAny(errors);
  return { name: name!, organizationGuid: organizationGuid!, metadata };
}

export function parseSpaceUpdate(raw: unknown): SpaceUpdateMessage {
  const body = bodyObject(raw);
  const errors: string[] = [];
  unknownFields(body, ['name', 'metadata'], errors);
  const name = body.name === undefined ? undefined : checkName(body.name, errors);
  const metadata = parseMetadata(body.metadata, errors);
  raiseIfAny(errors);
  return { name, metadata };
}

import { parseMetadata } from '../../../core/metadata.js';
import type { SpaceChange, SpaceInput } from '../../../actions/spaces.js';
import { bodyObject, checkName, checkToOneRelationship, isBlank, isObject, raiseIfAny, relationshipGuid, unknownFields } from './common.js';

/** CF's RelationshipValidator around SpaceCreateMessage::Relationships. */
function checkSpaceRelationships(rels: unknown, errors: string[]): void {
  if (!isObject(rels)) return void errors.push("Relationships 'relationships' is not an object");
  if (!Object.keys(rels).length) return void errors.push("Relationships 'relationships' must include one or more valid relationships");
  const nested: string[] = [];
  unknownFields(rels, ['organization'], nested);
  if (isBlank(rels.organization)) nested.push("Organization can't be blank");
  checkToOneRelationship(rels.organization, 'organization', nested);
  errors.push(...nested.map((m) => `Relationships ${m}`));
}

export function parseSpaceCreate(raw: unknown): SpaceInput {
  const body = bodyObject(raw);
  const errors: string[] = [];
  unknownFields(body, ['name', 'relationships', 'metadata'], errors);
  // CF validates relationships and metadata before the name, so their messages come first.
  checkSpaceRelationships(body.relationships, errors);
  // `{"data": null}` passes CF's message and fails later as an invalid organization.
  const organizationGuid = relationshipGuid(body, 'organization');
  const metadata = parseMetadata(body.metadata, errors);
  const name = checkName(body.name, errors);
  raiseIfAny(errors);
  return { name: name!, organizationGuid, metadata };
}

export function parseSpaceUpdate(raw: unknown): SpaceChange {
  const body = bodyObject(raw);
  const errors: string[] = [];
  unknownFields(body, ['name', 'metadata'], errors);
  const name = body.name === undefined ? undefined : checkName(body.name, errors);
  const metadata = parseMetadata(body.metadata, errors);
  raiseIfAny(errors);
  return { name, metadata };
}

// POST /v3/roles bodies, validated as CF's RoleCreateMessage does: nested relationship problems
// are prefixed "Relationships ", and the type list is printed the way Ruby prints an array.
import { ORG_ROLE_TYPES, SPACE_ROLE_TYPES, type RoleType } from '../../../auth/permissions.js';
import type { RoleInput, RoleUser } from '../../../actions/roles.js';
import { bodyObject, checkToOneRelationship, isBlank, isObject, raiseIfAny, unknownFields, type Body } from './common.js';

/** CF's RoleTypes::ALL_ROLES order: organization roles, then space roles. */
const CF_ORG_ROLE_ORDER = ['organization_auditor', 'organization_manager', 'organization_billing_manager', 'organization_user'] as const;
const CF_SPACE_ROLE_ORDER = ['space_auditor', 'space_manager', 'space_developer', 'space_supporter'] as const;
const CF_ALL_ROLES: readonly string[] = [...CF_ORG_ROLE_ORDER, ...CF_SPACE_ROLE_ORDER];

export const INVALID_TYPE = `Type must be one of the allowed types [${CF_ALL_ROLES.map((t) => `"${t}"`).join(', ')}]`;

const isOrgType = (t: unknown) => (ORG_ROLE_TYPES as readonly unknown[]).includes(t);
const isSpaceType = (t: unknown) => (SPACE_ROLE_TYPES as readonly unknown[]).includes(t);

function checkRelationships(type: unknown, rels: Body, errors: string[]): void {
  unknownFields(rels, ['space', 'user', 'organization'], errors);
  const { user, space, organization } = rels;
  const userData = isObject(user) ? user.data : undefined;
  const has = (key: string) => isObject(userData) && key in userData;
  const userErrors: string[] = [];
  const placeErrors: string[] = [];

  if (isBlank(user)) userErrors.push("User can't be blank");
  if (has('guid') && has('username')) userErrors.push('Username cannot be specified when identifying user by guid');
  if (has('guid') && has('origin')) userErrors.push('User origin cannot be specified when identifying user by guid');
  if (!has('username') && has('origin')) userErrors.push('User origin cannot be specified without specifying the username');
  if (!has('username') && !has('guid')) userErrors.push('User must have a username or guid specified');

  const spaceData = isObject(space) ? space.data : undefined;
  const orgData = isObject(organization) ? organization.data : undefined;
  if (spaceData == null && orgData == null) placeErrors.push('must specify either a space or an organization.');
  if (spaceData != null && isOrgType(type))
    placeErrors.push(`Space cannot be provided with the organization role type: '${String(type)}'.`);
  if (orgData != null && isSpaceType(type))
    placeErrors.push(`Organization cannot be provided with the space role type: '${String(type)}'.`);
  if (spaceData != null && orgData != null) placeErrors.push('cannot specify both an organization and a space.');

  errors.push(...userErrors, ...placeErrors);
  if (!placeErrors.length && organization == null) {
    if (isBlank(space)) errors.push("Space can't be blank");
    checkToOneRelationship(space, 'space', errors);
  }
  if (!placeErrors.length && space == null) {
    if (isBlank(organization)) errors.push("Organization can't be blank");
    checkToOneRelationship(organization, 'organization', errors);
  }
  if (!userErrors.length && has('guid')) checkToOneRelationship(user, 'user', errors);
  if (!userErrors.length && has('username') && typeof (userData as Body).username !== 'string') errors.push('Username must be a string');
  if (!userErrors.length && has('origin') && (userData as Body).origin !== null && typeof (userData as Body).origin !== 'string') {
    errors.push('User origin must be a string');
  }
}

export function parseRoleCreate(raw: unknown): RoleInput {
  const body = bodyObject(raw);
  const errors: string[] = [];
  unknownFields(body, ['type', 'relationships'], errors);
  const rels = body.relationships;
  if (!isObject(rels)) {
    errors.push("Relationships 'relationships' is not an object");
  } else if (!Object.keys(rels).length) {
    errors.push("Relationships 'relationships' must include one or more valid relationships");
  } else {
    const nested: string[] = [];
    checkRelationships(body.type, rels, nested);
    errors.push(...nested.map((m) => `Relationships ${m}`));
  }
  if (!CF_ALL_ROLES.includes(body.type as string)) errors.push(INVALID_TYPE);
  raiseIfAny(errors);

  const r = rels as Body;
  const userData = (r.user as Body).data as Body;
  const user: RoleUser =
    typeof userData.guid === 'string'
      ? { guid: userData.guid }
      : { username: userData.username as string, ...(typeof userData.origin === 'string' ? { origin: userData.origin } : {}) };
  const guidOf = (rel: unknown) => (isObject(rel) && isObject(rel.data) ? String(rel.data.guid) : undefined);
  const spaceGuid = guidOf(r.space);
  const target =
    spaceGuid !== undefined
      ? { kind: 'space' as const, guid: spaceGuid }
      : { kind: 'organization' as const, guid: guidOf(r.organization)! };
  return { type: body.type as RoleType, user, target };
}

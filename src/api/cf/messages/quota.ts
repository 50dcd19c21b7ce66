// Organization and space quota bodies (CF's OrganizationQuotas{Create,Update}Message,
// SpaceQuota{Create,Update}Message, QuotasApps/Services/RoutesMessage, ToManyRelationshipMessage).
import { ApiError } from '../../../core/errors.js';
import type { OrganizationQuotaInput, QuotaChange, QuotaLimits, SpaceQuotaInput } from '../../../actions/quotas.js';
import { bodyObject, humanize, isObject, raiseIfAny, unknownFields, type Body } from './common.js';

const MAX_DB_INT = 2147483647;
const MAX_DB_BIGINT = '9223372036854775807';
const MAX_QUOTA_NAME = 250;

type Rule = { attr: string; max: number | string };
const APPS: Rule[] = [
  { attr: 'total_memory_in_mb', max: MAX_DB_INT },
  { attr: 'per_process_memory_in_mb', max: MAX_DB_INT },
  { attr: 'total_instances', max: MAX_DB_INT },
  { attr: 'per_app_tasks', max: MAX_DB_INT },
  { attr: 'log_rate_limit_in_bytes_per_second', max: MAX_DB_BIGINT },
];
const SERVICES: Rule[] = [
  { attr: 'total_service_keys', max: MAX_DB_INT },
  { attr: 'total_service_instances', max: MAX_DB_INT },
];
const ROUTES: Rule[] = [
  { attr: 'total_routes', max: MAX_DB_INT },
  { attr: 'total_reserved_ports', max: MAX_DB_INT },
];
const DOMAINS: Rule[] = [{ attr: 'total_domains', max: MAX_DB_INT }];

/**
 * Rails' numericality (only_integer, >= 0, <= max) on a JSON value: integer strings count as
 * numbers, as ActiveModel reads them. Returns the number, or pushes the message.
 */
function checkLimit(value: unknown, label: string, max: number | string, errors: string[]): number | undefined {
  let text: string;
  if (typeof value === 'number') text = Number.isFinite(value) ? String(value) : 'NaN';
  else if (typeof value === 'string' && /^\s*[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?\s*$/.test(value)) text = value.trim();
  else {
    errors.push(`${label} is not a number`);
    return undefined;
  }
  const n = Number(text);
  if (!Number.isInteger(n) || (typeof value === 'string' && !/^[+-]?\d+$/.test(text))) {
    errors.push(`${label} must be an integer`);
    return undefined;
  }
  if (n < 0) {
    errors.push(`${label} must be greater than or equal to 0`);
    return undefined;
  }
  if (typeof max === 'number' ? n > max : BigInt(text.replace(/^\+/, '')) > BigInt(max)) {
    errors.push(`${label} must be less than or equal to ${max}`);
    return undefined;
  }
  return n;
}

/** One nested group (`apps`, `services`, …): must be an object; its messages are prefixed. */
function checkGroup(body: Body, group: string, rules: Rule[], booleans: string[], errors: string[]): Record<string, number | null> {
  const out: Record<string, number | null> = {};
  if (!(group in body)) return out;
  const value = body[group];
  const prefix = humanize(group);
  if (!isObject(value)) {
    errors.push(`${prefix} must be an object`);
    return out;
  }
  const allowed = [...rules.map((r) => r.attr), ...booleans];
  const unknown = Object.keys(value).filter((k) => !allowed.includes(k));
  if (unknown.length) errors.push(`${prefix} Unknown field(s): ${unknown.map((k) => `'${k}'`).join(', ')}`);
  for (const rule of rules) {
    if (!(rule.attr in value)) continue;
    const v = value[rule.attr];
    if (v === null) out[rule.attr] = null;
    else {
      const n = checkLimit(v, `${prefix} ${humanize(rule.attr)}`, rule.max, errors);
      if (n !== undefined) out[rule.attr] = n;
    }
  }
  for (const attr of booleans) {
    const v = value[attr];
    if (v !== undefined && v !== null && typeof v !== 'boolean') errors.push(`${prefix} ${humanize(attr)} must be a boolean`);
  }
  return out;
}

/** The shared part of create and update: name rules and every limit group. */
function parseCommon(body: Body, allowed: string[], groups: { services: boolean; routes: boolean; domains: boolean }, errors: string[]) {
  unknownFields(body, allowed, errors);
  let name: string | undefined;
  if ('name' in body) {
    if (typeof body.name !== 'string') errors.push('Name must be a string');
    else if (body.name.length < 1) errors.push('Name is too short (minimum is 1 character)');
    else if (body.name.length > MAX_QUOTA_NAME) errors.push(`Name is too long (maximum is ${MAX_QUOTA_NAME} characters)`);
    else name = body.name;
  }
  const limits = checkGroup(body, 'apps', APPS, [], errors) as QuotaLimits;
  // Service, route and domain limits are validated as CF does, but taskd has none of those
  // resources: they are not stored and always read back as null.
  if (groups.services) checkGroup(body, 'services', SERVICES, ['paid_services_allowed'], errors);
  if (groups.routes) checkGroup(body, 'routes', ROUTES, [], errors);
  if (groups.domains) checkGroup(body, 'domains', DOMAINS, [], errors);
  return { name, limits };
}

function checkNamePresent(body: Body, errors: string[]): void {
  if (typeof body.name !== 'string' || body.name.trim() === '') {
    if (body.name === undefined || body.name === null || typeof body.name === 'string') errors.push("Name can't be blank");
  }
}

const ORG_KEYS = ['name', 'apps', 'services', 'routes', 'domains'];
const SPACE_KEYS = ['name', 'apps', 'services', 'routes'];

export function parseOrganizationQuotaUpdate(raw: unknown): QuotaChange {
  const body = bodyObject(raw);
  const errors: string[] = [];
  const msg = parseCommon(body, ORG_KEYS, { services: true, routes: true, domains: true }, errors);
  raiseIfAny(errors);
  return msg;
}

export function parseSpaceQuotaUpdate(raw: unknown): QuotaChange {
  const body = bodyObject(raw);
  const errors: string[] = [];
  const msg = parseCommon(body, SPACE_KEYS, { services: true, routes: true, domains: false }, errors);
  raiseIfAny(errors);
  return msg;
}

export function parseOrganizationQuotaCreate(raw: unknown): OrganizationQuotaInput {
  const body = bodyObject(raw);
  const errors: string[] = [];
  const { name, limits } = parseCommon(body, [...ORG_KEYS, 'relationships'], { services: true, routes: true, domains: true }, errors);
  let organizationGuids: string[] = [];
  if ('relationships' in body) {
    const rels = relationshipsObject(body.relationships, errors);
    if (rels && 'organizations' in rels && rels.organizations !== null) {
      organizationGuids = toManyGuids(rels.organizations, 'organizations', errors) ?? [];
    }
  }
  checkNamePresent(body, errors);
  raiseIfAny(errors);
  return { name: name!, limits, organizationGuids };
}

export function parseSpaceQuotaCreate(raw: unknown): SpaceQuotaInput {
  const body = bodyObject(raw);
  const errors: string[] = [];
  const { name, limits } = parseCommon(body, [...SPACE_KEYS, 'relationships'], { services: true, routes: true, domains: false }, errors);
  let organizationGuid: string | undefined;
  let spaceGuids: string[] = [];
  const rels = relationshipsObject(body.relationships, errors);
  if (rels) {
    const org = rels.organization;
    const data = isObject(org) && Object.keys(org).length === 1 ? org.data : undefined;
    if (!isObject(data) || Object.keys(data).length !== 1 || !('guid' in data)) {
      errors.push('Relationships Organization must be structured like this: "organization: {"data": {"guid": "valid-guid"}}"');
    } else if (typeof data.guid !== 'string') {
      errors.push(
        'Relationships Organization guid must be a string',
        'Relationships Organization guid must be between 1 and 200 characters',
      );
    } else if (data.guid.length < 1 || data.guid.length > 200) {
      errors.push('Relationships Organization guid must be between 1 and 200 characters');
    } else organizationGuid = data.guid;
    if ('spaces' in rels && rels.spaces !== null) spaceGuids = toManyGuids(rels.spaces, 'spaces', errors) ?? [];
  }
  checkNamePresent(body, errors);
  raiseIfAny(errors);
  return { name: name!, limits, organizationGuid: organizationGuid!, spaceGuids };
}

function relationshipsObject(value: unknown, errors: string[]): Record<string, unknown> | undefined {
  if (!isObject(value)) {
    errors.push("Relationships 'relationships' is not an object");
    return undefined;
  }
  if (Object.keys(value).length === 0) {
    errors.push("Relationships 'relationships' must include one or more valid relationships");
    return undefined;
  }
  return value;
}

/** `{"data": [{"guid": …}, …]}` inside `relationships`, CF's ToManyRelationshipValidator. */
function toManyGuids(value: unknown, attr: string, errors: string[]): string[] | undefined {
  const label = `Relationships ${humanize(attr)}`;
  const data = isObject(value) ? value.data : undefined;
  const wellFormed = Array.isArray(data) && data.every((d) => isObject(d) && Object.keys(d).length === 1 && 'guid' in d);
  if (!wellFormed) {
    errors.push(`${label} must be structured like this: "${attr}: {"data": [{"guid": "valid-guid"},{"guid": "valid-guid"}]}"`);
    return undefined;
  }
  const guids: string[] = [];
  let ok = true;
  (data as Record<string, unknown>[]).forEach((d, i) => {
    const guid = d.guid;
    if (typeof guid !== 'string') {
      errors.push(`${label} guid ${i} must be a string`, `${label} guid ${i} must be between 1 and 200 characters`);
      ok = false;
    } else if (guid.length < 1 || guid.length > 200) {
      errors.push(`${label} guid ${i} must be between 1 and 200 characters`);
      ok = false;
    } else guids.push(guid);
  });
  return ok ? guids : undefined;
}

/**
 * `POST …/relationships/organizations|spaces` bodies (ToManyRelationshipMessage). CF answers an
 * invalid body with 400 BadQueryParameter for organization quotas and 422 for space quotas.
 */
export function parseQuotaApply(raw: unknown, invalid: 'BadQueryParameter' | 'UnprocessableEntity'): string[] {
  const body = bodyObject(raw);
  const errors: string[] = [];
  unknownFields(body, ['data'], errors);
  const data = body.data;
  if (data === undefined || data === null || (Array.isArray(data) && data.length === 0)) errors.push("Data can't be blank");
  if (!Array.isArray(data)) errors.push('Data must be an array');
  else
    data.forEach((d, i) => {
      if (!isObject(d) || typeof d.guid !== 'string') errors.push(`Invalid data type: Data[${i}] guid should be a string.`);
    });
  if (errors.length) throw new ApiError(invalid, errors.join(', '));
  return (data as { guid: string }[]).map((d) => d.guid);
}

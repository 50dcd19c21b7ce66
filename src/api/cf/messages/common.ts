// Building blocks of CF request-body messages: every failure is collected as one of CF's
// "full messages" and the lot is raised as one 422 with the messages joined by ", ".
import { ApiError } from '../../../core/errors.js';
import { parseMetadata, type MetadataChange } from '../../../core/metadata.js';

export type Body = Record<string, unknown>;

export const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** A request body must be a JSON object; anything else cannot be parsed as a message. */
export function bodyObject(body: unknown): Body {
  if (body === undefined || body === null) return {};
  if (!isObject(body)) throw new ApiError('MessageParseError', 'invalid request body');
  return body;
}

export function unknownFields(body: Body, allowed: readonly string[], errors: string[]): void {
  const unknown = Object.keys(body).filter((k) => !allowed.includes(k));
  if (unknown.length) errors.push(`Unknown field(s): ${unknown.map((k) => `'${k}'`).join(', ')}`);
}

export function raiseIfAny(errors: string[]): void {
  if (errors.length) throw new ApiError('UnprocessableEntity', errors.join(', '));
}

/** Rails' humanize: `memory_in_mb` -> `Memory in mb`. */
export const humanize = (attr: string): string => {
  const s = attr.replace(/_/g, ' ');
  return s.charAt(0).toUpperCase() + s.slice(1);
};

/** A required string name of at most `max` characters (CF's name rules on orgs, spaces, apps…). */
export function checkName(value: unknown, errors: string[], attr = 'name', max = 255, required = true): string | undefined {
  const label = humanize(attr);
  if (value === undefined || value === null) {
    if (required) errors.push(`${label} can't be blank`);
    return undefined;
  }
  if (typeof value !== 'string') {
    errors.push(`${label} must be a string`);
    return undefined;
  }
  if (required && value.trim() === '') {
    errors.push(`${label} can't be blank`);
    return undefined;
  }
  if (value.length > max) {
    errors.push(`${label} is too long (maximum is ${max} characters)`);
    return undefined;
  }
  return value;
}

export function checkBoolean(value: unknown, attr: string, errors: string[]): boolean | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'boolean') {
    errors.push(`${humanize(attr)} must be a boolean`);
    return undefined;
  }
  return value;
}

/** `relationships.<name>.data.guid`, as CF's to-one relationship messages read it. */
export function relationshipGuid(body: Body, name: string): string | undefined {
  const rel = isObject(body.relationships) ? body.relationships[name] : undefined;
  const data = isObject(rel) ? rel.data : undefined;
  const guid = isObject(data) ? data.guid : undefined;
  return typeof guid === 'string' ? guid : undefined;
}

/** Rails' `blank?`: nil, false, an empty string, array or object. */
export const isBlank = (v: unknown): boolean =>
  v === undefined || v === null || v === false || v === '' || (Array.isArray(v) && !v.length) || (isObject(v) && !Object.keys(v).length);

/**
 * CF's ToOneRelationshipValidator on `relationships.<attr>`: exactly `{"data": null}` or
 * `{"data": {"guid": "…"}}`, the guid a string of 1..200 characters. Messages lack the
 * "Relationships " prefix, which the caller adds to every nested message.
 */
export function checkToOneRelationship(rel: unknown, attr: string, errors: string[]): void {
  const label = humanize(attr);
  const data = isObject(rel) ? rel.data : undefined;
  const wellFormed =
    isObject(rel) &&
    Object.keys(rel).length === 1 &&
    'data' in rel &&
    (data === null || (isObject(data) && Object.keys(data).length === 1 && 'guid' in data));
  if (!wellFormed) {
    errors.push(`${label} must be structured like this: "${attr}: {"data": {"guid": "valid-guid"}}"`);
    return;
  }
  if (data === null) return;
  const guid = (data as Body).guid;
  if (typeof guid !== 'string') errors.push(`${label} guid must be a string`);
  if (typeof guid !== 'string' || guid.length < 1 || guid.length > 200) errors.push(`${label} guid must be between 1 and 200 characters`);
}

/** The body of a PATCH that may change only labels and annotations (droplets, tasks). */
export interface MetadataUpdateMessage {
  metadata: MetadataChange;
}

export function parseMetadataUpdate(raw: unknown): MetadataUpdateMessage {
  const body = bodyObject(raw);
  const errors: string[] = [];
  unknownFields(body, ['metadata'], errors);
  const metadata = parseMetadata(body.metadata, errors);
  raiseIfAny(errors);
  return { metadata };
}

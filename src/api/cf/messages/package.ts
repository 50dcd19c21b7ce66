// Package request bodies and the upload's `resources` field, with CF's messages.
import { unprocessable } from '../../../core/errors.js';
import type { PackageInput } from '../../../actions/packages.js';
import { bodyObject, isObject, raiseIfAny, relationshipGuid, unknownFields } from './common.js';

const PACKAGE_TYPES = ['bits', 'docker'] as const;

export function parsePackageCreate(raw: unknown): PackageInput {
  const body = bodyObject(raw);
  const errors: string[] = [];
  unknownFields(body, ['type', 'relationships', 'data'], errors);
  if (!PACKAGE_TYPES.includes(body.type as PackageInput['type'])) errors.push(`Type must be one of '${PACKAGE_TYPES.join(', ')}'`);
  if (!isObject(body.relationships)) errors.push("Relationships 'relationships' is not an object");
  const appGuid = relationshipGuid(body, 'app');
  if (isObject(body.relationships) && appGuid === undefined)
    errors.push('Relationships App must be structured like this: "app: {"data": {"guid": "valid-guid"}}"');
  if (body.type === 'bits' && body.data !== undefined && body.data !== null && !(isObject(body.data) && !Object.keys(body.data).length))
    errors.push('Data must be empty if provided for bits packages');
  raiseIfAny(errors);
  return { appGuid: appGuid!, type: body.type as PackageInput['type'] };
}

/** The multipart field that carries the zip (CF's `bits`), and the one that lists matched resources. */
export const PACKAGE_BITS_FIELD = 'bits';
export const RESOURCES_FIELD = 'resources';

/**
 * The upload's `resources`: files the client expects the server to have cached (resource matching).
 * taskd keeps no such cache and answers every match request with none, so a client sends every
 * file in `bits`; a list that names files anyway cannot be honoured.
 */
export function checkResources(value: string | undefined): void {
  if (value === undefined || value === '') return;
  let parsed: unknown;
  try {
    parsed = JSON.parse(value);
  } catch {
    throw unprocessable('Resources must be valid JSON.');
  }
  if (!Array.isArray(parsed)) throw unprocessable('Resources must be valid JSON.');
  if (parsed.length) throw unprocessable('taskd keeps no resource cache: resources must be empty; upload every file of the app in bits.');
}

export const missingPackageBits = () => unprocessable('Upload must include either resources or bits');

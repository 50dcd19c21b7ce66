// Droplet request bodies (create, update) and the upload's file checks, with CF's messages.
import { unprocessable } from '../../../core/errors.js';
import type { DropletChange, DropletInput } from '../../../actions/droplets.js';
import { bodyObject, isObject, parseMetadataUpdate, raiseIfAny, relationshipGuid, unknownFields } from './common.js';

export const DEFAULT_PROCESS_TYPES: Readonly<Record<string, string>> = { web: '' };

export function parseDropletCreate(raw: unknown): DropletInput {
  const body = bodyObject(raw);
  const errors: string[] = [];
  unknownFields(body, ['relationships', 'process_types'], errors);
  if (!isObject(body.relationships)) errors.push("Relationships 'relationships' is not an object");
  const appGuid = relationshipGuid(body, 'app');
  if (isObject(body.relationships) && appGuid === undefined)
    errors.push('Relationships App must be structured like this: "app: {"data": {"guid": "valid-guid"}}"');
  const processTypes = parseProcessTypes(body.process_types, errors);
  raiseIfAny(errors);
  return { appGuid: appGuid!, processTypes: processTypes ?? { ...DEFAULT_PROCESS_TYPES } };
}

function parseProcessTypes(value: unknown, errors: string[]): Record<string, string> | undefined {
  if (value === undefined || value === null) return undefined;
  if (!isObject(value)) {
    errors.push('Process types must be an object');
    return undefined;
  }
  if (Object.keys(value).some((k) => k === '')) errors.push('Process types key must not be empty');
  if (Object.values(value).some((v) => typeof v !== 'string')) errors.push('Process types value must be a string');
  return value as Record<string, string>;
}

export const parseDropletUpdate: (raw: unknown) => DropletChange = parseMetadataUpdate;

// ---- upload ----------------------------------------------------------------------------------

/** The multipart field that carries the droplet (CF's `bits`). */
export const BITS_FIELD = 'bits';

const invalidUpload = (problems: string[]) => unprocessable(`Uploaded droplet file is invalid: ${problems.join(', ')}`);

export const missingBits = () => invalidUpload(["A droplet tgz file must be uploaded as 'bits'"]);

/** CF accepts `*.tgz` and `*.tar.gz` names, case-sensitively. */
export const isTgzName = (name: string): boolean => name.endsWith('.tgz') || name.endsWith('.tar.gz');

/** CF's checks of an uploaded file, in its order: the name, then emptiness. */
export function checkUploadedFile(name: string, empty: boolean): void {
  const problems: string[] = [];
  if (!isTgzName(name)) problems.push(`${name} is not a tgz`);
  if (empty) problems.push(`${name} cannot be empty`);
  if (problems.length) throw invalidUpload(problems);
}

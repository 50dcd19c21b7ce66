// POST /v3/apps and PATCH /v3/apps/:guid bodies, with CF's messages (AppCreateMessage,
// AppUpdateMessage, LifecycleValidator, BuildpackLifecycleDataMessage and the app model's rules).
import { LIFECYCLE_TYPES, type LifecycleType } from '../../../core/lifecycles.js';
import { parseMetadata } from '../../../core/metadata.js';
import type { AppChange, AppInput, LifecycleChoice } from '../../../actions/apps.js';
import { bodyObject, isObject, raiseIfAny, unknownFields, type Body } from './common.js';
import { checkEnvironmentVariables } from './environment-variables.js';

const SPACE_STRUCTURE = 'Relationships Space must be structured like this: "space: {"data": {"guid": "valid-guid"}}"';

export function parseAppCreate(raw: unknown): AppInput {
  const body = bodyObject(raw);
  const errors: string[] = [];
  unknownFields(body, ['name', 'environment_variables', 'relationships', 'lifecycle', 'metadata'], errors);
  const spaceGuid = checkSpaceRelationship(body, errors);
  const { lifecycle, late } = parseLifecycle(body, errors);
  if (typeof body.name !== 'string') errors.push('Name must be a string');
  let environmentVariables: Record<string, string> = {};
  if (body.environment_variables !== undefined && body.environment_variables !== null) {
    const env = checkEnvironmentVariables(body.environment_variables, 'environment_variables', 'environment_variables', errors, false);
    if (env) environmentVariables = env as Record<string, string>;
  }
  errors.push(...late);
  const metadata = parseMetadata(body.metadata, errors);
  raiseIfAny(errors);
  const name = checkAppName(body.name as string);
  return { name, spaceGuid: spaceGuid!, lifecycle, environmentVariables, metadata };
}

export function parseAppUpdate(raw: unknown): AppChange {
  const body = bodyObject(raw);
  const errors: string[] = [];
  unknownFields(body, ['name', 'lifecycle', 'metadata'], errors);
  const { lifecycle, late } = parseLifecycle(body, errors);
  if (body.name !== undefined && body.name !== null && typeof body.name !== 'string') errors.push('Name must be a string');
  errors.push(...late);
  const metadata = parseMetadata(body.metadata, errors);
  raiseIfAny(errors);
  const name = typeof body.name === 'string' ? checkAppName(body.name) : undefined;
  return { name, lifecycle, metadata };
}

/**
 * The app model's name rules, checked after the message: surrounding whitespace is stripped, the
 * name must be present and printable. CF leaves the length to the database; taskd caps it at 255
 * and reports longer names as invalid.
 */
function checkAppName(raw: string): string {
  const name = raw.trim();
  const errors: string[] = [];
  if (name === '') errors.push('name is not present');
  if (name === '' || /\p{Cc}/u.test(name) || name.length > 255) errors.push('name is invalid');
  raiseIfAny(errors);
  return name;
}

function checkSpaceRelationship(body: Body, errors: string[]): string | undefined {
  const rels = body.relationships;
  if (!isObject(rels)) {
    errors.push("Relationships 'relationships' is not an object");
    return undefined;
  }
  if (Object.keys(rels).length === 0) {
    errors.push("Relationships 'relationships' must include one or more valid relationships");
    return undefined;
  }
  const unknown = Object.keys(rels).filter((k) => k !== 'space');
  if (unknown.length) errors.push(`Relationships Unknown field(s): ${unknown.map((k) => `'${k}'`).join(', ')}`);
  const space = rels.space;
  if (space === undefined || space === null) {
    errors.push("Relationships Space can't be blank", SPACE_STRUCTURE);
    return undefined;
  }
  const data = isObject(space) && Object.keys(space).length === 1 ? space.data : undefined;
  if (!isObject(data) || Object.keys(data).length !== 1 || !('guid' in data)) {
    errors.push(SPACE_STRUCTURE);
    return undefined;
  }
  const guid = data.guid;
  if (typeof guid !== 'string') {
    errors.push('Relationships Space Guid must be a string', 'Relationships Space Guid must be between 1 and 200 characters');
    return undefined;
  }
  if (guid.length < 1 || guid.length > 200) {
    errors.push('Relationships Space Guid must be between 1 and 200 characters');
    return undefined;
  }
  return guid;
}

/**
 * `lifecycle: {type, data}`, in CF's two steps: its LifecycleValidator first (type in the list,
 * then the data message, whose errors are prefixed `Lifecycle `), and after the other fields the
 * plain type and data shape checks. Returns the parsed request and the late messages.
 */
function parseLifecycle(body: Body, errors: string[]): { lifecycle?: LifecycleChoice; late: string[] } {
  const late: string[] = [];
  if (!('lifecycle' in body)) return { late };
  const lifecycle = body.lifecycle;
  const rawType = isObject(lifecycle) ? lifecycle.type : undefined;
  const data = isObject(lifecycle) ? lifecycle.data : undefined;
  const typeGiven = rawType !== undefined && rawType !== null && rawType !== '';
  if (typeGiven && typeof rawType !== 'string') late.push('Lifecycle type must be a string');
  if (!isObject(data)) late.push('Lifecycle data must be an object');
  if (typeGiven && !(LIFECYCLE_TYPES as readonly string[]).includes(rawType as string)) {
    errors.push(`Lifecycle type is not included in the list: ${LIFECYCLE_TYPES.join(', ')}`);
    return { late };
  }
  if (!isObject(data)) return { late };
  const type = (typeGiven ? rawType : 'buildpack') as LifecycleType;
  const unknownIn = (allowed: string[]) => {
    const unknown = Object.keys(data).filter((k) => !allowed.includes(k));
    if (unknown.length) errors.push(`Lifecycle Unknown field(s): ${unknown.map((k) => `'${k}'`).join(', ')}`);
  };
  if (type === 'docker') {
    unknownIn([]);
    return { lifecycle: { type }, late };
  }
  unknownIn(['buildpacks', 'stack']);
  const result: LifecycleChoice = { type };
  if (data.stack !== undefined) {
    if (data.stack === null) result.stack = null;
    else if (typeof data.stack !== 'string')
      errors.push('Lifecycle Stack must be a string', 'Lifecycle Stack must be between 1 and 4096 characters');
    else if (data.stack.length < 1 || data.stack.length > 4096) errors.push('Lifecycle Stack must be between 1 and 4096 characters');
    else result.stack = data.stack;
  }
  if (data.buildpacks === null) result.buildpacks = [];
  else if (data.buildpacks !== undefined) {
    if (!Array.isArray(data.buildpacks)) errors.push('Lifecycle Buildpacks must be an array');
    else {
      if (data.buildpacks.some((b) => typeof b !== 'string')) errors.push('Lifecycle Buildpacks can only contain strings');
      if (data.buildpacks.some((b) => typeof b === 'string' && (b.trim() === '' || b.length > 4096))) {
        errors.push('Lifecycle Buildpacks entries must be between 1 and 4096 characters');
      }
      result.buildpacks = data.buildpacks as string[];
    }
  }
  return { lifecycle: result, late };
}

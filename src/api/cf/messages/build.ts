// The build create body, with CF's messages.
import type { BuildInput } from '../../../actions/builds.js';
import { bodyObject, isObject, raiseIfAny, unknownFields } from './common.js';

const MAX_STAGING_MB = 2 ** 31 - 1;

export function parseBuildCreate(raw: unknown): BuildInput {
  const body = bodyObject(raw);
  const errors: string[] = [];
  unknownFields(body, ['package', 'lifecycle', 'staging_memory_in_mb', 'staging_disk_in_mb'], errors);
  const pkg = body.package;
  const packageGuid = isObject(pkg) && typeof pkg.guid === 'string' ? pkg.guid : undefined;
  if (!isObject(pkg)) errors.push('Package must be an object');
  else if (packageGuid === undefined) errors.push('Package guid must be a string');
  const input: BuildInput = { packageGuid: packageGuid ?? '' };
  const lifecycle = body.lifecycle;
  if (lifecycle !== undefined && lifecycle !== null) {
    if (!isObject(lifecycle)) errors.push('Lifecycle must be an object');
    else if (lifecycle.type !== 'buildpack') errors.push('Lifecycle type must be buildpack');
    else if (lifecycle.data !== undefined) {
      const data = lifecycle.data;
      if (!isObject(data)) errors.push('Lifecycle data must be an object');
      else {
        if (data.buildpacks !== undefined) {
          if (!Array.isArray(data.buildpacks) || data.buildpacks.some((b) => typeof b !== 'string' || b === ''))
            errors.push('Buildpacks can only contain strings');
          else input.buildpacks = data.buildpacks as string[];
        }
        if (data.stack !== undefined && data.stack !== null) {
          if (typeof data.stack !== 'string') errors.push('Stack must be a string');
          else input.stack = data.stack;
        }
      }
    }
  }
  for (const attr of ['staging_memory_in_mb', 'staging_disk_in_mb'] as const) {
    const value = body[attr];
    if (value === undefined || value === null) continue;
    if (!Number.isInteger(value) || (value as number) < 1 || (value as number) > MAX_STAGING_MB)
      errors.push(`${attr === 'staging_memory_in_mb' ? 'Staging memory in mb' : 'Staging disk in mb'} must be an integer greater than 0`);
    else if (attr === 'staging_memory_in_mb') input.stagingMemoryInMb = value as number;
    else input.stagingDiskInMb = value as number;
  }
  raiseIfAny(errors);
  return input;
}

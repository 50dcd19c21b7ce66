// An app manifest (`POST /v3/spaces/:guid/actions/apply_manifest`), as Cloud Controller reads
// it: YAML with `applications: [...]`, each app's problems prefixed "For application 'NAME': ".
// taskd honours what concerns one-off tasks — name, buildpack(s), stack, env, memory, disk_quota,
// command — and ignores what concerns long-running instances and routing (instances, routes,
// health checks, timeouts), which it does not run. Docker images and services it cannot honour
// are refused, not ignored.
import { parseDocument } from 'yaml';
import { ApiError, unprocessable } from '../../../core/errors.js';
import type { AppManifest } from '../../../core/app-manifest.js';
import { isObject } from './common.js';
import { checkEnvironmentVariables } from './environment-variables.js';

/** Manifests are small; a larger body is refused before it is parsed. */
export const MAX_MANIFEST_BYTES = 1024 * 1024;

const UNITS: Record<string, number> = {
  B: 1 / (1024 * 1024),
  K: 1 / 1024,
  KB: 1 / 1024,
  M: 1,
  MB: 1,
  G: 1024,
  GB: 1024,
  T: 1024 * 1024,
  TB: 1024 * 1024,
};

/** CC's byte converter: "256M", "1G", "512MB" -> megabytes. */
function megabytes(value: unknown, label: string, errors: string[]): number | undefined {
  if (value === undefined || value === null) return undefined;
  const text = String(value).trim();
  const m = /^(-?\d+(?:\.\d+)?)\s*([A-Za-z]*)$/.exec(text);
  if (!m) {
    errors.push(`${label} is not a number`);
    return undefined;
  }
  const unit = UNITS[m[2].toUpperCase()];
  if (unit === undefined || m[2] === '') {
    errors.push(`${label} must use a supported unit: B, K, KB, M, MB, G, GB, T, or TB`);
    return undefined;
  }
  const mb = Math.floor(Number(m[1]) * unit);
  if (mb < 1) {
    errors.push(`${label} must be greater than 0MB`);
    return undefined;
  }
  return mb;
}

/** The YAML text of a manifest, parsed; CC's 400 and 422s for what cannot be one. */
export function parseManifest(text: string): AppManifest[] {
  let yaml: unknown;
  try {
    // Aliases are bounded by the parser (a "billion laughs" document is refused, not expanded).
    const doc = parseDocument(text, { uniqueKeys: false });
    if (doc.errors.length) throw doc.errors[0];
    yaml = doc.toJS({ maxAliasCount: 100 });
  } catch {
    throw new ApiError('MessageParseError', 'invalid request body');
  }
  if (!isObject(yaml)) throw new ApiError('MessageParseError', 'invalid request body');
  if (yaml.version !== undefined && yaml.version !== 1)
    throw unprocessable('Unsupported manifest schema version. Currently supported versions: [1].');
  const apps = yaml.applications;
  if (!Array.isArray(apps) || apps.length === 0) throw unprocessable("Cannot parse manifest with no 'applications' field.");
  const errors: string[] = [];
  const parsed = apps.map((raw, index) => parseApp(raw, index, errors));
  if (errors.length) throw unprocessable(errors.join(', '));
  return parsed as AppManifest[];
}

function parseApp(raw: unknown, index: number, allErrors: string[]): AppManifest | undefined {
  const errors: string[] = [];
  const app = isObject(raw) ? raw : {};
  const name = typeof app.name === 'string' && app.name.trim() !== '' ? app.name : undefined;
  if (!isObject(raw)) errors.push('Application must be an object');
  else if (app.name === undefined || app.name === null || app.name === '') errors.push('Name must not be empty');
  else if (typeof app.name !== 'string') errors.push('Name must be a string');

  const manifest: AppManifest = { name: name ?? '' };
  if (app.buildpack !== undefined && app.buildpacks !== undefined) errors.push('Buildpack and Buildpacks fields cannot be used together.');
  if (app.buildpacks !== undefined && app.buildpacks !== null) {
    if (!Array.isArray(app.buildpacks) || app.buildpacks.some((b) => typeof b !== 'string' || b === ''))
      errors.push('Buildpacks must be a list of strings');
    else manifest.buildpacks = app.buildpacks as string[];
  } else if (app.buildpack !== undefined && app.buildpack !== null) {
    if (typeof app.buildpack !== 'string') errors.push('Buildpack must be a string');
    // "default" and "null" mean the platform's detection, as in CF: no buildpack named.
    else manifest.buildpacks = ['default', 'null'].includes(app.buildpack) ? [] : [app.buildpack];
  }
  if (app.stack !== undefined && app.stack !== null) {
    if (typeof app.stack !== 'string') errors.push('Stack must be a string');
    else manifest.stack = app.stack;
  }
  if (app.docker !== undefined) errors.push('taskd runs no Docker images: the docker key cannot be used');
  if (app.services !== undefined) errors.push('taskd has no service brokers: the services key cannot be used');
  if (app.env !== undefined && app.env !== null) {
    if (!isObject(app.env)) errors.push('Env must be an object of keys and values');
    else {
      // YAML scalars (numbers, booleans) become the text written, as the CLI sends them.
      const asText = Object.fromEntries(
        Object.entries(app.env).map(([k, v]) => [k, typeof v === 'number' || typeof v === 'boolean' ? String(v) : v]),
      );
      const env = checkEnvironmentVariables(asText, 'env', 'Env', errors, false);
      if (env) manifest.env = env as Record<string, string>;
    }
  }
  manifest.memoryInMb = megabytes(app.memory, 'Memory', errors);
  manifest.diskInMb = megabytes(app.disk_quota, 'Disk quota', errors);
  if (app.command !== undefined && app.command !== null) {
    if (typeof app.command !== 'string' || app.command.length > 4096) errors.push('Command must be between 1 and 4096 characters');
    else manifest.command = app.command;
  }
  const prefix = name ? `For application '${name}': ` : `For application at index ${index}: `;
  allErrors.push(...errors.map((e) => prefix + e));
  return manifest;
}

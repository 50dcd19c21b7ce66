// Label and annotation keys and values, and label selectors, by CF's rules (spec §4.1 and §5).

export interface MetadataKey {
  prefix: string;
  name: string;
}

const NAME_CHARS = /^[A-Za-z0-9_.-]+$/;
const ALNUM_ENDS = /^[A-Za-z0-9](.*[A-Za-z0-9])?$/s;
const DNS = /^(([a-z0-9]|[a-z0-9][a-z0-9-]*[a-z0-9])\.)*([a-z0-9]|[a-z0-9][a-z0-9-]*[a-z0-9])$/i;
const RESERVED_PREFIX = 'cloudfoundry.org';

const shorten = (s: string) => `${s.slice(0, 8)}...`;

/** Checks a key; returns the first failure's message, or the parsed key. */
export function parseMetadataKey(key: string): { key: MetadataKey } | { error: string } {
  if (key === '') return { error: 'key cannot be empty string' };
  const parts = key.split('/');
  if (parts.length > 2) return { error: "key has more than one '/'" };
  const [prefix, name] = parts.length === 2 ? [parts[0], parts[1]] : ['', parts[0]];
  if (parts.length === 2) {
    if (!DNS.test(prefix)) return { error: `prefix '${prefix}' must be in valid dns format` };
    if (prefix.length > 253) return { error: `prefix '${shorten(prefix)}' is greater than 253 characters` };
    if (prefix.toLowerCase() === RESERVED_PREFIX) return { error: `prefix '${RESERVED_PREFIX}' is reserved` };
  }
  if (name === '') return { error: 'key cannot be empty string' };
  const nameError = checkNameLike(name);
  if (nameError) return { error: nameError };
  return { key: { prefix, name } };
}

/** Label values: empty is fine, otherwise the same character rules as key names. */
export function labelValueError(value: string): string | undefined {
  return value === '' ? undefined : checkNameLike(value);
}

function checkNameLike(s: string): string | undefined {
  if (!NAME_CHARS.test(s)) return `'${s}' contains invalid characters`;
  if (!ALNUM_ENDS.test(s)) return `'${s}' starts or ends with invalid characters`;
  if (s.length > 63) return `'${shorten(s)}' is greater than 63 characters`;
  return undefined;
}

export const ANNOTATION_VALUE_MAX = 5000;

/** Annotation values are counted in characters, as CF (Ruby) counts them: an emoji is one. */
export function annotationValueError(value: string): string | undefined {
  if (value.length <= ANNOTATION_VALUE_MAX) return undefined;
  const characters = Array.from(value);
  return characters.length > ANNOTATION_VALUE_MAX
    ? `'${characters.slice(0, 8).join('')}...' is greater than ${ANNOTATION_VALUE_MAX} characters`
    : undefined;
}

export const renderKey = (k: MetadataKey): string => (k.prefix ? `${k.prefix}/${k.name}` : k.name);

// ---- label selectors -------------------------------------------------------------------------

export type LabelRequirement =
  | { op: 'in' | 'notin'; key: MetadataKey; values: string[] }
  | { op: 'eq' | 'neq'; key: MetadataKey; values: [string] }
  | { op: 'exists' | 'notexists'; key: MetadataKey };

const MAX_REQUIREMENTS = 50;
const KEY = '([A-Za-z0-9_./-]*)';
const PATTERNS: [RegExp, LabelRequirement['op']][] = [
  [new RegExp(`^${KEY} in \\((.*)\\)$`, 's'), 'in'],
  [new RegExp(`^${KEY} notin \\((.*)\\)$`, 's'), 'notin'],
  [new RegExp(`^${KEY}==?(.*)$`, 's'), 'eq'],
  [new RegExp(`^${KEY}!=(.*)$`, 's'), 'neq'],
  [new RegExp(`^${KEY}$`, 's'), 'exists'],
  [new RegExp(`^!${KEY}$`, 's'), 'notexists'],
];

/** Parses a `label_selector` value; returns its requirements or the first error's message. */
export function parseLabelSelector(selector: string): { requirements: LabelRequirement[] } | { error: string } {
  if (selector === '') return { error: 'Missing label_selector value' };
  const parts = splitOutsideParens(selector);
  if (parts.length > MAX_REQUIREMENTS) return { error: `Too many label_selector requirements (maximum is ${MAX_REQUIREMENTS})` };
  const requirements: LabelRequirement[] = [];
  for (const part of parts) {
    const match = matchRequirement(part);
    if (!match) return { error: 'Invalid label_selector value' };
    const parsedKey = parseMetadataKey(match.key);
    if ('error' in parsedKey) return parsedKey;
    for (const v of match.values ?? []) {
      const valueError = labelValueError(v);
      if (valueError) return { error: valueError };
    }
    requirements.push(
      match.values === undefined
        ? { op: match.op as 'exists' | 'notexists', key: parsedKey.key }
        : ({ op: match.op, key: parsedKey.key, values: match.values } as LabelRequirement),
    );
  }
  return { requirements };
}

function matchRequirement(part: string): { op: LabelRequirement['op']; key: string; values?: string[] } | undefined {
  for (const [pattern, op] of PATTERNS) {
    const m = pattern.exec(part);
    if (!m) continue;
    if (op === 'in' || op === 'notin') return { op, key: m[1], values: m[2].split(',') };
    if (op === 'eq' || op === 'neq') return { op, key: m[1], values: [m[2]] };
    return { op, key: m[1] };
  }
  return undefined;
}

function splitOutsideParens(s: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let current = '';
  for (const ch of s) {
    if (ch === '(') depth++;
    if (ch === ')') depth = Math.max(0, depth - 1);
    if (ch === ',' && depth === 0) {
      parts.push(current);
      current = '';
    } else {
      current += ch;
    }
  }
  parts.push(current);
  return parts;
}

// GET /api/v1/read/:source_id's query, parsed as log cache's gateway (grpc-gateway) parses it into
// a ReadRequest: snake_case or camelCase names, int64 times in nanoseconds (negative ones too: the
// cf CLI sends Go's zero time), repeatable envelope_types by name or number, unknown keys ignored.
// Then log cache's own checks (routing/local_store_reader.go): end_time 0 means now, limit 0 means
// 100 and more than 1000 is refused. Log cache answers those checks with a 500 (a plain error
// through gRPC); taskd answers them 400, as it answers the parse errors.
import { invalidArgument } from './errors.js';

export const DEFAULT_LIMIT = 100;
export const MAX_LIMIT = 1000;

export const ENVELOPE_TYPES = ['ANY', 'LOG', 'COUNTER', 'GAUGE', 'TIMER', 'EVENT'] as const;
export type EnvelopeType = (typeof ENVELOPE_TYPES)[number];

export interface ReadMessage {
  startTime: bigint;
  endTime: bigint;
  limit: number;
  /** The types asked for, ANY left out; empty: every type. */
  envelopeTypes: EnvelopeType[];
  descending: boolean;
  nameFilter: string;
}

type Query = Record<string, string | string[] | undefined>;

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;
const GO_BOOLS: Record<string, boolean> = {
  1: true,
  t: true,
  T: true,
  TRUE: true,
  true: true,
  True: true,
  0: false,
  f: false,
  F: false,
  FALSE: false,
  false: false,
  False: false,
};

export function parseReadQuery(query: Query, now: () => bigint): ReadMessage {
  const start = single(query, 'start_time', 'startTime');
  const end = single(query, 'end_time', 'endTime');
  const limitText = single(query, 'limit', 'limit');
  const descendingText = single(query, 'descending', 'descending');
  const nameFilter = single(query, 'name_filter', 'nameFilter') ?? '';
  const startTime = start === undefined ? 0n : int64('start_time', start);
  let endTime = end === undefined ? 0n : int64('end_time', end);
  let limit = limitText === undefined ? 0n : int64('limit', limitText);
  const descending = descendingText === undefined ? false : bool('descending', descendingText);
  const envelopeTypes = values(query, 'envelope_types', 'envelopeTypes').map(envelopeType);

  if (endTime !== 0n && startTime > endTime) throw invalidArgument(`StartTime (${startTime}) must be before EndTime (${endTime})`);
  if (limit > BigInt(MAX_LIMIT)) throw invalidArgument(`limit (${limit}) must be ${MAX_LIMIT} or less`);
  if (limit < 0n) throw invalidArgument(`limit (${limit}) must be greater than zero`);
  if (endTime === 0n) endTime = now();
  if (limit === 0n) limit = BigInt(DEFAULT_LIMIT);
  if (nameFilter !== '') checkRegularExpression(nameFilter);
  return {
    startTime,
    endTime,
    limit: Number(limit),
    envelopeTypes: envelopeTypes.filter((t) => t !== 'ANY'),
    descending,
    nameFilter,
  };
}

function values(query: Query, name: string, jsonName: string): string[] {
  const of = (key: string) => {
    const v = query[key];
    return v === undefined ? [] : Array.isArray(v) ? v : [v];
  };
  return name === jsonName ? of(name) : [...of(name), ...of(jsonName)];
}

function single(query: Query, name: string, jsonName: string): string | undefined {
  const all = values(query, name, jsonName);
  if (all.length > 1) throw invalidArgument(`too many values for field "${name}": ${all.join(', ')}`);
  return all[0];
}

/** Go's strconv.ParseInt(text, 10, 64), with grpc-gateway's wording of its errors. */
function int64(field: string, text: string): bigint {
  if (!/^[+-]?\d+$/.test(text)) throw invalidArgument(`parsing field "${field}": strconv.ParseInt: parsing "${text}": invalid syntax`);
  const n = BigInt(text);
  if (n < INT64_MIN || n > INT64_MAX)
    throw invalidArgument(`parsing field "${field}": strconv.ParseInt: parsing "${text}": value out of range`);
  return n;
}

function bool(field: string, text: string): boolean {
  const b = GO_BOOLS[text];
  if (b === undefined) throw invalidArgument(`parsing field "${field}": strconv.ParseBool: parsing "${text}": invalid syntax`);
  return b;
}

function envelopeType(text: string): EnvelopeType {
  const byName = ENVELOPE_TYPES.find((t) => t === text);
  if (byName) return byName;
  const byNumber = /^[+-]?\d+$/.test(text) ? ENVELOPE_TYPES[Number(text)] : undefined;
  if (byNumber) return byNumber;
  throw invalidArgument(`parsing list "envelope_types": "${text}" is not a valid value`);
}

/** Log cache compiles name_filter as a (Go) regular expression; taskd checks it as JavaScript's. */
function checkRegularExpression(pattern: string): void {
  try {
    new RegExp(pattern);
  } catch (err) {
    throw invalidArgument(`name filter must be a valid regular expression: ${(err as Error).message}`);
  }
}

// Hostile requests, each made from a route's valid request by one kind of attack. Every choice
// comes from the seeded random source, so a failing request can be made again from its seed.
import type { RawRequest } from './raw-http.js';
import { fillPath, type Route } from './routes.js';
import type { Credentials, World } from './target.js';
import { queryNames, validBody, validPathValue, validQuery } from './valid-requests.js';

export type Random = () => number;

export const ATTACKS = [
  'valid',
  'mutated-body',
  'truncated-json',
  'deep-json',
  'proto-keys',
  'huge-numbers',
  'huge-string',
  'wrong-content-type',
  'oversized-body',
  'invalid-utf8-body',
  'invalid-utf8-query',
  'invalid-utf8-path',
  'sql-query',
  'repeated-query',
  'bad-path-param',
  'wrong-method',
] as const;
export type Attack = (typeof ATTACKS)[number];

export interface HostileRequest extends RawRequest {
  attack: Attack;
  route: Route;
  /** The target as text, for reports and for telling which API's envelope applies. */
  shown: string;
}

export interface GenerationContext {
  world: World;
  credentials: Credentials;
  bodyLimit: number;
  /** A unique suffix for names. */
  unique(): string;
}

const pick = <T>(random: Random, items: readonly T[]): T => items[Math.floor(random() * items.length)];

/** Raw JSON texts that JSON.stringify cannot write: put in as markers, swapped after. */
const RAW_NUMBERS = [
  '1e400',
  '-1e400',
  '-0',
  '18446744073709551616',
  '-9223372036854775809',
  '9007199254740993',
  '1e-400',
  '0.1e999999',
  '123456789012345678901234567890',
];

const SQL_LOOKING = [
  "' OR 1=1 --",
  'env in (a,b)); drop table tasks;--',
  '1; DELETE FROM tasks',
  '" OR ""="',
  "%' OR '%'='",
  "x' UNION SELECT password_hash FROM users --",
  "state eq 'x' or 1 eq 1",
  "name=foo');--",
  '\\',
  "''''",
  '%_%',
];

const HOSTILE_STRINGS = [
  '',
  ' ',
  '\u202e\u202d',
  '😀'.repeat(50),
  '\ud800',
  '\uffff',
  '../../etc/passwd',
  '<script>alert(1)</script>',
  '${jndi:ldap://127.0.0.1/a}',
  '%s%s%s%n',
  '\r\nX-Injected: 1',
  ...SQL_LOOKING,
];

const PROTO_KEYS = ['__proto__', 'constructor', 'prototype'];

function hostileLeaf(random: Random): unknown {
  switch (Math.floor(random() * 9)) {
    case 0:
      return null;
    case 1:
      return pick(random, [true, false, 0, -1, 1.5, 2 ** 53, -(2 ** 31)]);
    case 2:
      return `@@RAW:${pick(random, RAW_NUMBERS)}@@`;
    case 3:
      return pick(random, HOSTILE_STRINGS);
    case 4:
      return 'a'.repeat(pick(random, [256, 4096, 65_536]));
    case 5:
      return pick(random, [{}, [], [[[]]], [null], { a: { b: { c: {} } } }]);
    case 6:
      return { [pick(random, PROTO_KEYS)]: { polluted: true, isAdmin: true } };
    case 7:
      return [pick(random, HOSTILE_STRINGS), `@@RAW:${pick(random, RAW_NUMBERS)}@@`];
    default:
      return pick(random, SQL_LOOKING);
  }
}

/** One structural change to a JSON value: a leaf replaced, a key dropped, a key added. */
function mutate(value: unknown, random: Random, depth = 0): unknown {
  if (value === null || typeof value !== 'object' || depth > 6) return hostileLeaf(random);
  if (Array.isArray(value)) {
    if (!value.length || random() < 0.3) return [...value, hostileLeaf(random)];
    const i = Math.floor(random() * value.length);
    return value.map((v, j) => (i === j ? mutate(v, random, depth + 1) : v));
  }
  const entries = Object.entries(value as Record<string, unknown>);
  const roll = random();
  if (!entries.length || roll < 0.15)
    return { ...value, [pick(random, [...PROTO_KEYS, 'unknown_field', 'a'.repeat(300), ''])]: hostileLeaf(random) };
  const i = Math.floor(random() * entries.length);
  if (roll < 0.3) return Object.fromEntries(entries.filter((_, j) => j !== i));
  return Object.fromEntries(entries.map(([k, v], j) => [k, j === i ? mutate(v, random, depth + 1) : v]));
}

/** JSON text, with raw-number markers swapped for the numbers themselves. */
function jsonText(value: unknown): string {
  return (JSON.stringify(value) ?? 'null').replace(/"@@RAW:([^@]+)@@"/g, '$1');
}

const encodeQuery = (pairs: [string, string][]) => pairs.map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`).join('&');

function authHeaders(route: Route, method: string, ctx: GenerationContext, random: Random): [string, string][] {
  const { credentials } = ctx;
  if (route.template === '/oauth/token') return [['authorization', `Basic ${Buffer.from('cf:').toString('base64')}`]];
  // Closing the session everything else uses (by DELETE, or a wrong method that happens to be
  // DELETE) would turn the rest of the run into 401s.
  if (method === 'DELETE' && route.template.endsWith('/session')) return [['vmware-api-session-id', 'not-a-live-session']];
  const allowed = route.credentials;
  if (!allowed.length) return [];
  const use = pick(random, allowed);
  if (use === 'vsphereSession') return [['vmware-api-session-id', credentials.vsphereSession]];
  if (use === 'basic') return [['authorization', credentials.basic]];
  return [['authorization', `bearer ${credentials.bearer}`]];
}

const BAD_PATH_VALUES = [
  'not-a-guid',
  '..',
  '%2e%2e%2f%2e%2e%2fetc%2fpasswd',
  'a'.repeat(120),
  '1%20OR%201%3D1',
  "'%20OR%20'1'%3D'1",
  '%25',
  '%zz',
  '%',
  '%F0%9F%98%80',
  '-1',
  '0',
  '99999999999999999999999',
  '1e400',
  '%C0%AF',
  '%FF%FE',
  '00000000-0000-0000-0000-000000000000',
  'ABCDEF01-2345-6789-ABCD-EF0123456789',
  '%0d%0aX-Injected:%201',
  '%3Cscript%3E',
  '{guid}',
  'null',
  'undefined',
  '[object%20Object]',
];

/** The request a route gets under one attack. */
export function hostileRequest(route: Route, attack: Attack, random: Random, ctx: GenerationContext): HostileRequest {
  const { world } = ctx;
  const pathValues: Record<string, string> = {};
  for (const p of route.pathParams) {
    // The world's own resources are never deleted: they must outlive the run.
    pathValues[p] = route.method === 'DELETE' ? '4f2f5d3e-3b0a-4c55-9d8b-0e6a3c9d1f01' : validPathValue(route, p, world);
  }
  let query = validQuery(route, world);
  let method = route.method;
  const isOauth = route.template === '/oauth/token';
  const bodyValue = isOauth ? undefined : validBody(route, world, ctx.unique());
  let body: Buffer | undefined;
  let contentType: string | undefined;
  let rawPathTail: Buffer | undefined;
  let rawQuery: Buffer | undefined;

  // Not the admin: failed logins count against the user, and the admin's Basic password is the attacker's own.
  const formBody = () => `grant_type=password&username=fuzz-nobody&password=${encodeURIComponent('wrong-' + ctx.unique())}`;
  const setJson = (text: string | Buffer) => {
    body = Buffer.isBuffer(text) ? text : Buffer.from(text, 'utf8');
    contentType = 'application/json';
  };
  const bodyTarget = bodyValue ?? {};

  switch (attack) {
    case 'valid':
      break;
    case 'mutated-body': {
      let v: unknown = bodyTarget;
      const rounds = 1 + Math.floor(random() * 3);
      for (let i = 0; i < rounds; i++) v = mutate(v, random);
      setJson(jsonText(v));
      break;
    }
    case 'truncated-json': {
      const text = jsonText(bodyTarget);
      setJson(text.slice(0, Math.max(0, Math.floor(random() * text.length))));
      break;
    }
    case 'deep-json': {
      const depth = pick(random, [1000, 10_000, 100_000]);
      const shape = Math.floor(random() * 4);
      if (shape === 0) setJson('['.repeat(depth));
      else if (shape === 1) setJson('['.repeat(depth) + ']'.repeat(depth));
      else if (shape === 2) setJson('{"a":'.repeat(depth) + '1' + '}'.repeat(depth));
      else
        setJson(`{"params":${'['.repeat(depth)}${']'.repeat(depth)},"metadata":{"labels":${'{"x":'.repeat(depth)}1${'}'.repeat(depth)}}}`);
      break;
    }
    case 'proto-keys': {
      const key = pick(random, PROTO_KEYS);
      const obj = typeof bodyTarget === 'object' && bodyTarget ? { ...bodyTarget } : {};
      const text = jsonText(obj).replace(/^\{/, `{"${key}":{"isAdmin":true,"scopes":["taskd.admin"]},`).replace(/,\}$/, '}');
      const nested = `{"metadata":{"labels":{"${key}":"x"},"annotations":{"constructor":{"prototype":{"polluted":1}}}},"params":{"${key}":{"show_hidden":true}}}`;
      setJson(random() < 0.5 ? text : nested);
      break;
    }
    case 'huge-numbers': {
      const n = pick(random, RAW_NUMBERS);
      if (random() < 0.5) setJson(jsonText(mutateNumbers(bodyTarget, `@@RAW:${n}@@`)));
      query = [
        ...query.filter(([k]) => !['per_page', 'page', 'limit'].includes(k)),
        [pick(random, ['per_page', 'page', 'limit', 'percent']), n],
      ];
      break;
    }
    case 'huge-string': {
      const size = Math.floor(ctx.bodyLimit * pick(random, [0.2, 0.6, 0.95]));
      const v = mutateStrings(bodyTarget, 'x'.repeat(size));
      setJson(jsonText(v).slice(0, ctx.bodyLimit - 16));
      // Past Node's 16 KiB header limit, the parser itself refuses (431) before Fastify runs.
      if (random() < 0.3) query = [...query, [pick(random, queryNames(route)), 'q'.repeat(pick(random, [8_000, 20_000]))]];
      break;
    }
    case 'wrong-content-type': {
      contentType = pick(random, [
        'text/plain',
        'application/xml',
        'multipart/form-data',
        'multipart/form-data; boundary=x',
        'application/x-www-form-urlencoded',
        'application/json; charset=utf-16',
        'application/json;;;===',
        '',
        'image/png',
        'application/problem+json',
        'text/html',
        'application/vnd.api+json',
        '*/*',
        'application/json, text/plain',
      ]);
      const text = pick(random, [
        jsonText(bodyTarget),
        '<xml/>',
        'a=b&c=d',
        '--x\r\nContent-Disposition: form-data; name="bits"\r\n\r\nabc\r\n--x--\r\n',
      ]);
      body = Buffer.from(text);
      if (contentType === '' || random() < 0.15) contentType = undefined;
      break;
    }
    case 'oversized-body': {
      const size = ctx.bodyLimit + 1024 + Math.floor(random() * 64 * 1024);
      const text = `{"command":"${'y'.repeat(size)}"}`;
      setJson(text);
      if (random() < 0.3)
        contentType = pick(random, ['text/plain', 'multipart/form-data; boundary=x', 'application/x-www-form-urlencoded']);
      break;
    }
    case 'invalid-utf8-body': {
      const bad = pick(random, [
        [0xff],
        [0xfe, 0xff],
        [0xc0, 0xaf],
        [0xed, 0xa0, 0x80],
        [0xf8, 0x88, 0x80, 0x80, 0x80],
        [0x80],
        [0xe2, 0x82],
      ]);
      const text = jsonText(mutateStrings(bodyTarget, '@@BAD@@'));
      const parts = text.includes('@@BAD@@') ? text.split('@@BAD@@') : [`{"name":"`, '"}'];
      setJson(Buffer.concat(parts.flatMap((p, i) => (i ? [Buffer.from(bad), Buffer.from(p)] : [Buffer.from(p)]))));
      if (isOauth) contentType = 'application/x-www-form-urlencoded';
      break;
    }
    case 'invalid-utf8-query': {
      const name = pick(random, queryNames(route));
      rawQuery = Buffer.concat([
        Buffer.from(`${name}=`),
        pick(random, [
          Buffer.from([0xff, 0xfe]),
          Buffer.from('%FF%FE'),
          Buffer.from('%C0%AF'),
          Buffer.from('%ED%A0%80'),
          Buffer.from([0xc3]),
        ]),
      ]);
      break;
    }
    case 'invalid-utf8-path': {
      const p = route.pathParams.length ? pick(random, route.pathParams) : undefined;
      const bad = pick(random, [
        Buffer.from([0xff]),
        Buffer.from('%FF'),
        Buffer.from('%C0%AF'),
        Buffer.from([0xc3, 0x28]),
        Buffer.from('%E2%82'),
      ]);
      if (p) pathValues[p] = '@@BAD@@';
      else rawPathTail = Buffer.concat([Buffer.from('/'), bad]);
      if (p) rawPathTail = bad;
      break;
    }
    case 'sql-query': {
      const names = queryNames(route);
      query = [
        ...query,
        ...Array.from({ length: 1 + Math.floor(random() * 3) }, (): [string, string] => [pick(random, names), pick(random, SQL_LOOKING)]),
      ];
      if (route.api === 'astra')
        query.push([
          'filter',
          pick(random, ["state eq 'x' or 1 eq 1 --", "id eq ''; drop table tasks;--", "name eq 'a' and (state eq 'b'))"]),
        ]);
      break;
    }
    case 'repeated-query': {
      const names = queryNames(route);
      const name = pick(random, names);
      query = [...query, [name, '1'], [name, 'abc'], [name, ''], ...query];
      break;
    }
    case 'bad-path-param': {
      if (route.pathParams.length) pathValues[pick(random, route.pathParams)] = pick(random, BAD_PATH_VALUES);
      else rawPathTail = Buffer.from(`/${pick(random, BAD_PATH_VALUES)}`);
      break;
    }
    case 'wrong-method':
      method = pick(
        random,
        ['PUT', 'DELETE', 'PATCH', 'POST', 'GET', 'OPTIONS', 'TRACE', 'PROPFIND'].filter((m) => m !== route.method),
      );
      // A DELETE must not reach the world's own resources through a wrong method either.
      if (method === 'DELETE') for (const p of route.pathParams) pathValues[p] = '4f2f5d3e-3b0a-4c55-9d8b-0e6a3c9d1f02';
      break;
  }

  if (body === undefined && attack !== 'wrong-method') {
    if (isOauth) {
      body = Buffer.from(formBody());
      contentType = 'application/x-www-form-urlencoded';
    } else if (bodyValue !== undefined) setJson(jsonText(bodyValue));
  }

  let path = fillPath(route.template, pathValues);
  let target: Buffer;
  if (rawPathTail && path.includes('@@BAD@@')) {
    const [before, after] = path.split('@@BAD@@');
    target = Buffer.concat([Buffer.from(before), rawPathTail, Buffer.from(after)]);
  } else if (rawPathTail) {
    target = Buffer.concat([Buffer.from(path), rawPathTail]);
  } else target = Buffer.from(path);
  const q = rawQuery ?? (query.length ? Buffer.from(encodeQuery(query)) : undefined);
  if (q) target = Buffer.concat([target, Buffer.from('?'), q]);

  const headers: [string, string][] = [
    ...authHeaders(route, method, ctx, random),
    ['accept', random() < 0.9 ? 'application/json' : pick(random, ['*/*', 'text/html', 'application/xml', ''])],
  ];
  if (contentType !== undefined) headers.push(['content-type', contentType]);
  path = target.toString('latin1');
  return { method, target, headers, body, attack, route, shown: path.length > 160 ? `${path.slice(0, 160)}…` : path };
}

/** The value with every number (or, with none, one new field) set to `n`. */
function mutateNumbers(value: unknown, n: string): unknown {
  if (typeof value === 'number') return n;
  if (Array.isArray(value)) return value.map((v) => mutateNumbers(v, n));
  if (value && typeof value === 'object') {
    const out = Object.fromEntries(Object.entries(value).map(([k, v]) => [k, mutateNumbers(v, n)]));
    return JSON.stringify(out).includes('@@RAW') ? out : { ...out, percent: n, memory_in_mb: n };
  }
  return value;
}

/** The value with every string set to `s` (or, with none, one new field holding it). */
function mutateStrings(value: unknown, s: string): unknown {
  let replaced = false;
  const walk = (v: unknown): unknown => {
    if (typeof v === 'string') {
      if (replaced) return v;
      replaced = true;
      return s;
    }
    if (Array.isArray(v)) return v.map(walk);
    if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, walk(x)]));
    return v;
  };
  const out = walk(value);
  return replaced ? out : { ...(value && typeof value === 'object' ? value : {}), name: s };
}

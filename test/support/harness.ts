// Test harness: a real taskd over a real store — a fresh SQLite file, and a fresh schema in the
// PostgreSQL that TASKD_TEST_PG_URL points at — driven through HTTP with app.inject().
import { after, before, describe } from 'node:test';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { randomBytes, randomUUID, scryptSync } from 'node:crypto';
import pg from 'pg';
import { loadConfig, type Config } from '../../src/config.js';
import { createTaskd, type Taskd } from '../../src/taskd.js';
import { openStore, type StoreOptions } from '../../src/store/database.js';
import { logIn } from '../../src/actions/credentials.js';
import type { TokenPair } from '../../src/auth/tokens.js';
import { credentialsOf } from '../../src/api/cf/routes/oauth.js';

export type StoreKind = 'sqlite' | 'postgres';

export const PG_URL = process.env.TASKD_TEST_PG_URL;

export interface Response {
  status: number;
  headers: Record<string, string | string[] | number | undefined>;
  body: any;
  text: string;
}

export interface RequestOptions {
  token?: string;
  body?: unknown;
  headers?: Record<string, string>;
  /** Raw payload sent as is (for malformed-body tests). */
  payload?: string | Buffer;
}

export interface Actor {
  guid: string;
  username: string;
  token: string;
}

export class Harness {
  taskd!: Taskd;
  admin!: Actor;
  readonly adminPassword = 'admin-test-password';
  private dataDir?: string;
  private pgSchema?: string;
  private counter = 0;

  constructor(
    readonly kind: StoreKind,
    private readonly overrides: Partial<Config> = {},
  ) {}

  get db() {
    return this.taskd.ctx.store.db;
  }

  get config() {
    return this.taskd.ctx.config;
  }

  /**
   * TASKD_DATABASE_URL for another taskd process on this harness's store (none for SQLite: the
   * database file in the shared data directory). PostgreSQL: this harness's own schema.
   */
  get databaseUrlForProcess(): string | undefined {
    if (!this.pgSchema) return undefined;
    const url = new URL(PG_URL!);
    url.searchParams.set('options', `-c search_path=${this.pgSchema}`);
    return url.toString();
  }

  async start(): Promise<void> {
    this.dataDir = mkdtempSync(path.join(tmpdir(), 'taskd-test-'));
    let databaseUrl: string | undefined;
    if (this.kind === 'postgres') {
      this.pgSchema = `t_${randomBytes(6).toString('hex')}`;
      databaseUrl = PG_URL;
    }
    const config = {
      ...loadConfig({ env: {} }),
      dataDir: this.dataDir,
      databaseUrl,
      adminPassword: this.adminPassword,
      externalUrl: 'https://api.example.org',
      // Named, so another node on this store (a copy of this config with its own data directory) shares it.
      secretKeyFile: path.join(this.dataDir, 'secret.key'),
      // 1 s rather than 10 to SIGKILL a task that outlives its SIGTERM, unless a suite sets its
      // own: a sandboxed task cancelled (or stopped with taskd) just as it starts may miss the
      // SIGTERM and run until the grace ends, and suites that leave sleeping tasks behind waited
      // up to 10 s for it at the end, or mid-test for a cancel.
      cancelGraceSeconds: 1,
      ...this.overrides,
    };
    const store = { pgSchema: this.pgSchema, poolSize: 5 };
    const open = async () => {
      await makeAdminCheaply(config, store);
      return createTaskd(config, { store });
    };
    this.taskd = this.pgSchema
      ? await withSchemaSetupLock(async (c) => {
          await c.query(`create schema ${this.pgSchema}`);
          return open();
        })
      : await open();
    this.admin = await this.loggedIn('admin');
  }

  /** Listens on a free loopback port, for clients in processes of their own; answers its URL. */
  async listen(): Promise<string> {
    await this.taskd.app.listen({ host: '127.0.0.1', port: 0 });
    const address = this.taskd.app.server.address();
    if (!address || typeof address === 'string') throw new Error('taskd is not listening on a port');
    return `http://127.0.0.1:${address.port}`;
  }

  async stop(): Promise<void> {
    await this.taskd?.close();
    if (this.pgSchema) await withSchemaSetupLock((c) => c.query(`drop schema ${this.pgSchema} cascade`));
    if (this.dataDir) rmSync(this.dataDir, { recursive: true, force: true });
  }

  async request(method: string, url: string, options: RequestOptions = {}): Promise<Response> {
    const headers: Record<string, string> = { ...options.headers };
    if (options.token) headers.authorization = `bearer ${options.token}`;
    let payload = options.payload;
    if (options.body !== undefined) {
      payload = JSON.stringify(options.body);
      headers['content-type'] ??= 'application/json';
    }
    const res = await this.taskd.app.inject({ method: method as any, url, headers, payload });
    let body: any;
    try {
      body = res.body ? JSON.parse(res.body) : undefined;
    } catch {
      body = undefined;
    }
    return { status: res.statusCode, headers: res.headers, body, text: res.body };
  }

  get = (url: string, token = this.admin.token) => this.request('GET', url, { token });
  post = (url: string, body: unknown, token = this.admin.token) => this.request('POST', url, { token, body });
  patch = (url: string, body: unknown, token = this.admin.token) => this.request('PATCH', url, { token, body });
  delete = (url: string, token = this.admin.token) => this.request('DELETE', url, { token });

  async login(username: string, password: string): Promise<Actor> {
    const res = await this.taskd.app.inject({
      method: 'POST',
      url: '/oauth/token',
      headers: { authorization: `Basic ${Buffer.from('cf:').toString('base64')}`, 'content-type': 'application/x-www-form-urlencoded' },
      payload: new URLSearchParams({ grant_type: 'password', username, password }).toString(),
    });
    if (res.statusCode !== 200) throw new Error(`login ${username} failed: ${res.statusCode} ${res.body}`);
    const token = JSON.parse(res.body).access_token as string;
    const me = await this.db.selectFrom('users').select('guid').where('username', '=', username).executeTakeFirstOrThrow();
    return { guid: me.guid, username, token };
  }

  unique(prefix: string): string {
    return `${prefix}-${++this.counter}-${randomBytes(3).toString('hex')}`;
  }

  /**
   * A new user (optionally with global scopes) whose password is `pw-<username>`, logged in.
   * Made cheaply: scrypt at OWASP's parameters costs ~0.5 s and 128 MiB per hash, and suites
   * make hundreds of users. The row holds a hash of older taskd's weaker kind (which taskd still
   * verifies, and upgrades at the user's first real login), and the login is the password
   * grant's own (logIn) without the password check. POST /v3/users and /oauth/token themselves
   * are tested in users.test.ts and oauth.test.ts.
   */
  async user(scopes: string[] = []): Promise<Actor> {
    return this.loggedIn((await this.fixtureUser({ scopes })).username);
  }

  /**
   * A new user (named as given, else uniquely) with a known password (`pw-<username>` unless
   * given), not logged in, made as
   * cheaply as user(). A wrong password for it costs milliseconds; the first right one costs a
   * full hash (taskd makes the weak one again), and so does every right one after that.
   */
  async fixtureUser(
    options: { username?: string; scopes?: string[]; password?: string } = {},
  ): Promise<{ guid: string; username: string; password: string }> {
    const username = options.username ?? this.unique('user');
    const password = options.password ?? `pw-${username}`;
    const guid = await insertUser(this.db, username, cheapPasswordHash(password), options.scopes ?? []);
    return { guid, username, password };
  }

  /** Logged in as the password grant logs a user in (a login with its refresh token), without checking a password. */
  async loggedIn(username: string): Promise<Actor> {
    const user = await this.userRow(username);
    const pair = await logIn(credentialsOf(this.taskd.ctx), user);
    return { guid: user.guid, username, token: pair.access_token };
  }

  /**
   * The token pair the password grant answers (access and refresh token, jti), for a login made
   * without checking a password: for tests of what logins do after they begin (refresh,
   * revocation), where a password check would cost a full hash and test nothing more.
   */
  async loginPair(username: string): Promise<TokenPair> {
    return logIn(credentialsOf(this.taskd.ctx), await this.userRow(username));
  }

  private userRow(username: string) {
    return this.db.selectFrom('users').selectAll().where('username', '=', username).executeTakeFirstOrThrow();
  }

  async org(name = this.unique('org'), extra: Record<string, unknown> = {}): Promise<any> {
    const res = await this.post('/v3/organizations', { name, ...extra });
    if (res.status !== 201) throw new Error(`create org failed: ${res.status} ${res.text}`);
    return res.body;
  }

  async space(orgGuid: string, name = this.unique('space')): Promise<any> {
    const res = await this.post('/v3/spaces', { name, relationships: { organization: { data: { guid: orgGuid } } } });
    if (res.status !== 201) throw new Error(`create space failed: ${res.status} ${res.text}`);
    return res.body;
  }

  /** Grants a role; space roles first make the user an organization_user of the space's org, as CF requires. */
  async role(type: string, userGuid: string, target: { org?: string; space?: string }): Promise<any> {
    const relationships: Record<string, unknown> = { user: { data: { guid: userGuid } } };
    if (target.space) {
      const space = await this.get(`/v3/spaces/${target.space}`);
      const orgGuid = space.body.relationships.organization.data.guid;
      const orgUser = await this.post('/v3/roles', {
        type: 'organization_user',
        relationships: { user: { data: { guid: userGuid } }, organization: { data: { guid: orgGuid } } },
      });
      if (orgUser.status !== 201 && orgUser.status !== 422) throw new Error(`create org user failed: ${orgUser.status} ${orgUser.text}`);
      relationships.space = { data: { guid: target.space } };
    } else {
      relationships.organization = { data: { guid: target.org } };
    }
    const res = await this.post('/v3/roles', { type, relationships });
    if (res.status !== 201) throw new Error(`create role failed: ${res.status} ${res.text}`);
    return res.body;
  }

  async app(spaceGuid: string, name = this.unique('app'), extra: Record<string, unknown> = {}): Promise<any> {
    const res = await this.post('/v3/apps', { name, relationships: { space: { data: { guid: spaceGuid } } }, ...extra });
    if (res.status !== 201) throw new Error(`create app failed: ${res.status} ${res.text}`);
    return res.body;
  }
}

/**
 * A scrypt hash with weaker parameters than taskd's own (N=2^10: milliseconds, not half a second),
 * which taskd verifies as it verifies hashes made by older versions.
 */
export function cheapPasswordHash(password: string): string {
  const salt = randomBytes(16);
  const key = scryptSync(password, salt, 32, { N: 1024, r: 8, p: 1 });
  return ['scrypt', 1024, 8, 1, salt.toString('base64url'), key.toString('base64url')].join('$');
}

/** Inserts a user row as POST /v3/users makes one, with the given password hash; answers its guid. */
async function insertUser(db: Taskd['ctx']['store']['db'], username: string, passwordHash: string, scopes: string[]): Promise<string> {
  const guid = randomUUID();
  const now = new Date().toISOString();
  await db
    .insertInto('users')
    .values({ guid, username, origin: 'uaa', password_hash: passwordHash, scopes: scopes.join(' '), created_at: now, updated_at: now })
    .execute();
  return guid;
}

/**
 * Makes the `admin` user before taskd's own start does, with a cheap hash of its password: taskd
 * hashes the admin password at OWASP's parameters when it makes the user (ensureAdminUser), and
 * that half second of CPU (more on a loaded machine) was paid at each of the suite's ~250 harness
 * starts. Taskd then finds the admin there, as on any restart. A password login as admin makes the
 * hash again at full cost the first time, as for any older hash. The making of the admin by taskd
 * itself is tested with real processes (cli/serve.test.ts) and in store/file-modes.test.ts.
 */
async function makeAdminCheaply(config: Config, options: Partial<StoreOptions>): Promise<void> {
  if (config.adminPassword === undefined) return;
  const store = await openStore({ dataDir: config.dataDir, databaseUrl: config.databaseUrl, ...options });
  try {
    await insertUser(store.db, 'admin', cheapPasswordHash(config.adminPassword), ['cloud_controller.admin']);
  } finally {
    await store.close();
  }
}

/**
 * Test suites in parallel processes share one PostgreSQL database, each in its own schema, and
 * drop their schema at the end. taskd's store looks only at its own schema (see
 * own-schema-introspector.ts: Kysely's stock introspection failed on schemas dropped meanwhile);
 * the suites still take turns for schema DDL, so no suite's set-up ever races another's teardown.
 */
const SCHEMA_SETUP_LOCK = 7_346_221;

function withSchemaSetupLock<T>(fn: (client: pg.Client) => Promise<T>): Promise<T> {
  return withPgClient(async (client) => {
    await client.query('select pg_advisory_lock($1)', [SCHEMA_SETUP_LOCK]);
    try {
      return await fn(client);
    } finally {
      await client.query('select pg_advisory_unlock($1)', [SCHEMA_SETUP_LOCK]);
    }
  });
}

async function withPgClient<T>(fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: PG_URL });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

/**
 * Runs the same suite against every store: SQLite always, PostgreSQL when TASKD_TEST_PG_URL is
 * set (skipped with the reason printed otherwise).
 */
export function describeEachStore(name: string, fn: (h: Harness) => void, overrides: Partial<Config> = {}): void {
  for (const kind of ['sqlite', 'postgres'] as const) {
    const skip = kind === 'postgres' && !PG_URL ? 'TASKD_TEST_PG_URL is not set: no PostgreSQL to test against' : false;
    describe(`${name} [${kind}]`, { skip }, () => {
      const h = new Harness(kind, overrides);
      before(() => h.start());
      after(() => h.stop());
      fn(h);
    });
  }
}

/** Asserts a CF error envelope: status, title, code and (optionally) exact detail. */
export function cfError(res: Response, status: number, title: string, code: number, detail?: string): void {
  const problems: string[] = [];
  if (res.status !== status) problems.push(`status ${res.status} != ${status}`);
  const err = res.body?.errors?.[0];
  if (!err) problems.push('no errors[0]');
  else {
    if (err.title !== title) problems.push(`title ${err.title} != ${title}`);
    if (err.code !== code) problems.push(`code ${err.code} != ${code}`);
    if (detail !== undefined && err.detail !== detail) problems.push(`detail ${JSON.stringify(err.detail)} != ${JSON.stringify(detail)}`);
  }
  if (problems.length) throw new Error(`${problems.join('; ')}\nbody: ${res.text}`);
}

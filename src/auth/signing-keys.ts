// The keys tokens are signed with, as UAA has them: RS256 (RSA 2048), each with a `kid` that
// every token names in its header. A copy of the database forges nothing: only public keys are
// readable there, and each private key is kept encrypted (AES-256-GCM) under the secret key file,
// which lives outside the database (TASKD_SECRET_KEY_FILE, by default `<dataDir>/secret.key`).
// Every node sharing a database needs the same secret key file.
//
// Rotation: the newest key signs; a new one is made when it is older than the rotation period
// (or on demand). An older key keeps verifying until every token it may have signed has expired,
// and is deleted after that.
import { createCipheriv, createDecipheriv, createPublicKey, generateKeyPair, randomBytes, type KeyObject } from 'node:crypto';
import { closeSync, openSync, readFileSync, writeSync } from 'node:fs';
import { promisify } from 'node:util';
import type { Kysely } from 'kysely';
import type { Database } from '../store/schema.js';
import { refuseWiderThanOwnerOnly } from '../store/file-modes.js';

export interface SigningKeyOptions {
  /** The 32-byte master key that encrypts the private keys; made (0600) when missing on a fresh database. */
  secretKeyFile: string;
  /** A new key is made when the newest is older than this. */
  rotationDays: number;
  /** The longest any token signed now may live: a replaced key verifies this long after it is replaced. */
  longestTokenSeconds: number;
}

/** A public key in the shape UAA's /token_key and /token_keys answer with. */
export interface TokenKey {
  kty: 'RSA';
  e: string;
  use: 'sig';
  kid: string;
  alg: 'RS256';
  value: string;
  n: string;
}

interface LoadedKey {
  kid: string;
  createdAtMs: number;
  /** When it stops verifying; undefined while it is the newest. */
  retireAfterMs?: number;
  verifyKey: CryptoKey;
  /** Undefined when this node cannot decrypt it (another secret key file made it). */
  signKey?: CryptoKey;
  jwk: TokenKey;
}

/** The database holds keys this node's secret key file cannot open: start-up stops with this message. */
export class SecretKeyMismatch extends Error {}

const SECRET_KEY_BYTES = 32;
const ALGORITHM = { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' };
/** How often a node reads the keys again, so it signs with a key another node made. */
const RELOAD_MS = 60_000;
/** An unknown `kid` reads the keys again, at most this often (a forged kid must not cost a query each). */
const UNKNOWN_KID_RELOAD_MS = 5_000;
/** A node may sign with a replaced key until its next reload: that long, and some, on top of a token's life. */
const RETIRE_MARGIN_MS = 10 * RELOAD_MS;

const generateRsa = promisify(generateKeyPair);

export class SigningKeys {
  private keys = new Map<string, LoadedKey>();
  private signing?: LoadedKey;
  private loadedAtMs = 0;
  private refreshing?: Promise<void>;

  private constructor(
    private readonly db: Kysely<Database>,
    private readonly secret: Buffer,
    private readonly options: SigningKeyOptions,
  ) {}

  /**
   * Reads the secret key file (making it on a database without keys) and the keys, makes the
   * first key or a due one. Refuses, with what to do, a secret key file that is missing or wider
   * than 0600 and one that does not open the keys in the database.
   */
  static async open(db: Kysely<Database>, options: SigningKeyOptions): Promise<SigningKeys> {
    const stored = await db.selectFrom('signing_keys').select('kid').limit(1).execute();
    const keys = new SigningKeys(db, readSecretKey(options.secretKeyFile, stored.length > 0), options);
    await keys.load({ strict: true });
    if (!keys.signing || keys.due()) await keys.rotate({ force: false });
    return keys;
  }

  /**
   * The key to sign with now: the newest. Reading the keys again (now and then) and making a due
   * key happen beside, off the login's path: until they are done the current key signs on.
   */
  signingKey(): { kid: string; key: CryptoKey } {
    if (Date.now() - this.loadedAtMs > RELOAD_MS || this.due()) {
      // A failure (the database away) is tried again by the next token signed.
      this.refresh().catch(() => {});
    }
    const signing = this.signing!;
    return { kid: signing.kid, key: signing.signKey! };
  }

  /** The public key a token naming `kid` is checked with; undefined for an unknown or retired one. */
  async verificationKey(kid: string | undefined): Promise<CryptoKey | undefined> {
    if (kid === undefined) return undefined;
    if (!this.keys.has(kid) && Date.now() - this.loadedAtMs > UNKNOWN_KID_RELOAD_MS) await this.refresh();
    const key = this.keys.get(kid);
    if (!key || (key.retireAfterMs !== undefined && key.retireAfterMs < Date.now())) return undefined;
    return key.verifyKey;
  }

  /** The newest key first, then those that still verify. */
  tokenKeys(): TokenKey[] {
    const now = Date.now();
    return [...this.keys.values()]
      .filter((k) => k.retireAfterMs === undefined || k.retireAfterMs >= now)
      .sort((a, b) => b.createdAtMs - a.createdAtMs || (a.kid < b.kid ? -1 : 1))
      .map((k) => k.jwk);
  }

  /** The key that signs now. */
  currentTokenKey(): TokenKey {
    return this.signing!.jwk;
  }

  /**
   * Makes a new key, which signs from now on on this node (on the others from their next reload);
   * the replaced ones retire once their tokens have expired. Without force, only when the newest
   * key (perhaps just made by another node) is due.
   */
  async rotate({ force }: { force: boolean }): Promise<TokenKey> {
    if (!force) {
      await this.load({ strict: false });
      if (this.signing && !this.due()) return this.signing.jwk;
    }
    const made = await makeKey(this.secret);
    const now = Date.now();
    const retireAfter = new Date(now + this.options.longestTokenSeconds * 1000 + RETIRE_MARGIN_MS).toISOString();
    await this.db.transaction().execute(async (trx) => {
      await trx.updateTable('signing_keys').set({ retire_after: retireAfter }).where('retire_after', 'is', null).execute();
      await trx
        .insertInto('signing_keys')
        .values({ ...made, created_at: new Date(now).toISOString(), retire_after: null })
        .execute();
      // Keys whose every token has expired verify nothing any more.
      await trx.deleteFrom('signing_keys').where('retire_after', '<', new Date(now).toISOString()).execute();
    });
    await this.load({ strict: false });
    return this.keys.get(made.kid)!.jwk;
  }

  private due(): boolean {
    return !this.signing || Date.now() - this.signing.createdAtMs > this.options.rotationDays * 86_400_000;
  }

  /** Reads the keys again, and rotates when the newest is due; one at a time. */
  private refresh(): Promise<void> {
    this.refreshing ??= (async () => {
      try {
        await this.load({ strict: false });
        if (this.due()) await this.rotate({ force: false });
      } finally {
        this.refreshing = undefined;
      }
    })();
    return this.refreshing;
  }

  /**
   * Reads every key. A key this node cannot decrypt still verifies (its public key is enough);
   * strict (at start) refuses it, since this node was given the wrong secret key file.
   */
  private async load({ strict }: { strict: boolean }): Promise<void> {
    const rows = await this.db
      .selectFrom('signing_keys')
      .select(['kid', 'public_pem', 'private_encrypted', 'created_at', 'retire_after'])
      .execute();
    const keys = new Map<string, LoadedKey>();
    for (const row of rows) {
      const known = this.keys.get(row.kid);
      const createdAtMs = Date.parse(row.created_at);
      const retireAfterMs = row.retire_after === null ? undefined : Date.parse(row.retire_after);
      if (known?.signKey) {
        keys.set(row.kid, { ...known, createdAtMs, retireAfterMs });
        continue;
      }
      const pkcs8 = decrypt(this.secret, row.kid, row.private_encrypted);
      if (!pkcs8 && strict) {
        throw new SecretKeyMismatch(
          `the secret key file ${this.options.secretKeyFile} does not decrypt the token signing keys in the database: ` +
            'every taskd node sharing a database needs the same secret key file; copy it from the node that first started on this database (TASKD_SECRET_KEY_FILE)',
        );
      }
      const publicKey = createPublicKey(row.public_pem);
      keys.set(row.kid, {
        kid: row.kid,
        createdAtMs,
        retireAfterMs,
        verifyKey: await crypto.subtle.importKey('spki', publicKey.export({ format: 'der', type: 'spki' }), ALGORITHM, false, ['verify']),
        signKey: pkcs8 ? await crypto.subtle.importKey('pkcs8', new Uint8Array(pkcs8), ALGORITHM, false, ['sign']) : undefined,
        jwk: tokenKey(row.kid, row.public_pem, publicKey),
      });
    }
    this.keys = keys;
    // The newest this node can sign with; made with another secret key file, a newer one only verifies.
    this.signing = [...keys.values()].filter((k) => k.signKey).sort((a, b) => b.createdAtMs - a.createdAtMs || (a.kid < b.kid ? -1 : 1))[0];
    this.loadedAtMs = Date.now();
  }
}

/**
 * The secret key file's 32 bytes. Made (0600, never wider, from its creation) when missing and
 * the database holds no keys yet; missing beside keys, it was lost or not copied: refused.
 */
function readSecretKey(file: string, databaseHasKeys: boolean): Buffer {
  refuseWiderThanOwnerOnly(file);
  let secret: Buffer;
  try {
    secret = readFileSync(file);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT')
      throw new SecretKeyMismatch(`cannot read the secret key file ${file}: ${(err as Error).message}`);
    if (databaseHasKeys) {
      throw new SecretKeyMismatch(
        `the secret key file ${file} does not exist, but the database holds token signing keys encrypted under one: ` +
          'copy the secret key file from the node that first started on this database to that path (or set TASKD_SECRET_KEY_FILE to it)',
      );
    }
    secret = createSecretKey(file);
  }
  if (secret.length !== SECRET_KEY_BYTES) {
    throw new SecretKeyMismatch(`the secret key file ${file} must hold exactly ${SECRET_KEY_BYTES} bytes, it holds ${secret.length}`);
  }
  return secret;
}

function createSecretKey(file: string): Buffer {
  const secret = randomBytes(SECRET_KEY_BYTES);
  let fd: number;
  try {
    // 'wx': created here, 0600 from the start; another process that made it first wins.
    fd = openSync(file, 'wx', 0o600);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return readFileSync(file);
    throw new SecretKeyMismatch(`cannot create the secret key file ${file}: ${(err as Error).message}`);
  }
  try {
    writeSync(fd, secret);
  } finally {
    closeSync(fd);
  }
  return secret;
}

interface MadeKey {
  kid: string;
  public_pem: string;
  private_encrypted: string;
}

async function makeKey(secret: Buffer): Promise<MadeKey> {
  // In libuv's thread pool: an RSA key takes tens to hundreds of milliseconds to find.
  const { publicKey, privateKey } = await generateRsa('rsa', { modulusLength: 2048, publicExponent: 0x10001 });
  const kid = `key-${new Date().toISOString().slice(0, 10)}-${randomBytes(4).toString('hex')}`;
  const pkcs8 = privateKey.export({ format: 'der', type: 'pkcs8' });
  return { kid, public_pem: publicKey.export({ format: 'pem', type: 'spki' }).toString(), private_encrypted: encrypt(secret, kid, pkcs8) };
}

/** `v1.<iv>.<tag>.<ciphertext>`, base64url; the kid is authenticated with it, so a key cannot be swapped under another kid. */
function encrypt(secret: Buffer, kid: string, plaintext: Buffer): string {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', secret, iv);
  cipher.setAAD(Buffer.from(kid));
  const ciphertext = Buffer.concat([cipher.update(plaintext), cipher.final()]);
  return ['v1', iv, cipher.getAuthTag(), ciphertext].map((p) => (typeof p === 'string' ? p : p.toString('base64url'))).join('.');
}

/** The private key, or undefined when this secret did not encrypt it. */
function decrypt(secret: Buffer, kid: string, sealed: string): Buffer | undefined {
  const [version, iv, tag, ciphertext] = sealed.split('.');
  if (version !== 'v1' || iv === undefined || tag === undefined || ciphertext === undefined) return undefined;
  try {
    const decipher = createDecipheriv('aes-256-gcm', secret, Buffer.from(iv, 'base64url'));
    decipher.setAAD(Buffer.from(kid));
    decipher.setAuthTag(Buffer.from(tag, 'base64url'));
    return Buffer.concat([decipher.update(Buffer.from(ciphertext, 'base64url')), decipher.final()]);
  } catch {
    return undefined;
  }
}

function tokenKey(kid: string, pem: string, publicKey: KeyObject): TokenKey {
  const jwk = publicKey.export({ format: 'jwk' });
  return { kty: 'RSA', e: jwk.e!, use: 'sig', kid, alg: 'RS256', value: pem.trim(), n: jwk.n! };
}

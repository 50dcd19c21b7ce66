// scrypt password hashes: `scrypt$N$r$p$salt$hash`, base64url parts. The parameters travel with
// each hash, so hashes made with older (weaker) parameters still verify, and are made again with
// the current ones at the user's next successful login (needsRehash).
import { randomBytes, timingSafeEqual, type ScryptOptions } from 'node:crypto';
import { availableParallelism } from 'node:os';
import { HashThread } from './hash-thread.js';

/** OWASP's Password Storage Cheat Sheet (2023-): N=2^17, r=8, p=1, i.e. 128 MiB and ~0.5 s a hash. */
export const SCRYPT_PARAMS = { N: 2 ** 17, r: 8, p: 1 } as const;
const KEY_LENGTH = 32;

/** The memory one hash takes (128 * N * r bytes), and what Node must be allowed beyond it. */
const hashMemory = (o: { N: number; r: number }) => 128 * o.N * o.r;

/**
 * Hashes running at once: half the cores, at least one. Each holds 128 MiB and a core for about
 * half a second: a flood of logins must queue here instead of taking the machine's memory and its
 * cores from everything else. Each runs on a hashing thread of its own, below taskd's priority
 * (hash-thread.ts).
 */
const MAX_CONCURRENT_HASHES = Math.max(1, Math.floor(availableParallelism() / 2));

/** Stored parameters beyond these are refused: a forged row must not make taskd allocate gigabytes. */
const MAX_STORED_MEMORY = 2 * hashMemory(SCRYPT_PARAMS);

/** Hashing threads not hashing now; at most MAX_CONCURRENT_HASHES exist, made as needed. */
const idleThreads: HashThread[] = [];
let threads = 0;
const waiting: ((thread: HashThread) => void)[] = [];

async function withHashThread<T>(fn: (thread: HashThread) => Promise<T>): Promise<T> {
  let thread = idleThreads.pop();
  if (!thread && threads < MAX_CONCURRENT_HASHES) {
    threads++;
    thread = new HashThread();
  }
  thread ??= await new Promise<HashThread>((resolve) => waiting.push(resolve));
  try {
    return await fn(thread);
  } finally {
    // The thread passes straight to the next waiter.
    const next = waiting.shift();
    if (next) next(thread);
    else idleThreads.push(thread);
  }
}

function derive(password: string, salt: Buffer, options: ScryptOptions & { N: number; r: number }): Promise<Buffer> {
  return withHashThread((thread) =>
    thread.scrypt(password, salt, KEY_LENGTH, { ...options, maxmem: hashMemory(options) + 32 * 1024 * 1024 }),
  );
}

export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(16);
  const key = await derive(password, salt, SCRYPT_PARAMS);
  const { N, r, p } = SCRYPT_PARAMS;
  return ['scrypt', N, r, p, salt.toString('base64url'), key.toString('base64url')].join('$');
}

interface StoredHash {
  N: number;
  r: number;
  p: number;
  salt: Buffer;
  hash: Buffer;
}

function parseStored(stored: string): StoredHash | undefined {
  const [scheme, n, r, p, salt, hash] = stored.split('$');
  if (scheme !== 'scrypt' || !salt || !hash) return undefined;
  const params = { N: Number(n), r: Number(r), p: Number(p) };
  if (!Object.values(params).every((v) => Number.isSafeInteger(v) && v > 0)) return undefined;
  if (hashMemory(params) > MAX_STORED_MEMORY || params.p > 16) return undefined;
  return { ...params, salt: Buffer.from(salt, 'base64url'), hash: Buffer.from(hash, 'base64url') };
}

export async function verifyPassword(password: string, stored: string | null): Promise<boolean> {
  const parsed = stored ? parseStored(stored) : undefined;
  if (!parsed) return false;
  const key = await derive(password, parsed.salt, parsed);
  return key.length === parsed.hash.length && timingSafeEqual(key, parsed.hash);
}

/** Whether a stored hash was made with weaker parameters than today's (to be made again at login). */
export function needsRehash(stored: string): boolean {
  const parsed = parseStored(stored);
  if (!parsed) return false;
  return parsed.N < SCRYPT_PARAMS.N || parsed.r < SCRYPT_PARAMS.r || parsed.p < SCRYPT_PARAMS.p || parsed.hash.length < KEY_LENGTH;
}

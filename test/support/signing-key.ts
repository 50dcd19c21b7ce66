// The key a harness's taskd signs with now, read the way an attacker with the database and the
// secret key file would: to craft tokens that differ from taskd's in one way only.
import { createDecipheriv, createPrivateKey, randomUUID, type KeyObject } from 'node:crypto';
import { SignJWT } from 'jose';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { Kysely } from 'kysely';
import type { Database } from '../../src/store/schema.js';

export interface CurrentSigningKey {
  kid: string;
  privateKey: KeyObject;
}

/** The newest signing key, decrypted with the secret key file (by default `<dataDir>/secret.key`). */
export async function currentSigningKey(db: Kysely<Database>, dataDir: string, secretKeyFile?: string): Promise<CurrentSigningKey> {
  const row = await db
    .selectFrom('signing_keys')
    .select(['kid', 'private_encrypted'])
    .orderBy('created_at', 'desc')
    .orderBy('kid')
    .executeTakeFirstOrThrow();
  const secret = readFileSync(secretKeyFile ?? path.join(dataDir, 'secret.key'));
  // `v1.<iv>.<tag>.<ciphertext>`, AES-256-GCM with the kid as additional data.
  const [, iv, tag, ciphertext] = row.private_encrypted.split('.') as [string, string, string, string];
  const decipher = createDecipheriv('aes-256-gcm', secret, Buffer.from(iv, 'base64url'));
  decipher.setAAD(Buffer.from(row.kid));
  decipher.setAuthTag(Buffer.from(tag, 'base64url'));
  const der = Buffer.concat([decipher.update(Buffer.from(ciphertext, 'base64url')), decipher.final()]);
  return { kid: row.kid, privateKey: createPrivateKey({ key: der, format: 'der', type: 'pkcs8' }) };
}

/**
 * An access token as taskd would sign it, with these claims (scopes, say) in place of a login's;
 * by default with the issuer taskd's tokens carried before they named a URL.
 */
export function signedAccessToken(
  key: CurrentSigningKey,
  claims: Record<string, unknown> & { user_id: string },
  issuer = 'taskd',
): Promise<string> {
  return new SignJWT({ client_id: 'cf', token_use: 'access', ...claims })
    .setProtectedHeader({ alg: 'RS256', typ: 'JWT', kid: key.kid })
    .setSubject(claims.user_id)
    .setIssuer(issuer)
    .setJti(randomUUID())
    .setIssuedAt()
    .setExpirationTime('5m')
    .sign(key.privateKey);
}

// Requests to POST /oauth/token as clients send them: a form, with the client as HTTP Basic.
import type { Harness } from './harness.js';

/** The cf CLI's client, as it sends it: Basic `cf:` (an empty secret). */
export const CF_CLIENT = basicClient('cf', '');

/** HTTP Basic for a client, its id and secret form-encoded first as UAA reads them (client_secret_basic). */
export function basicClient(id: string, secret: string): string {
  return `Basic ${Buffer.from(`${encodeURIComponent(id)}:${encodeURIComponent(secret)}`).toString('base64')}`;
}

/** `authorization: null` sends no Authorization header (the client in the form, or none). */
export function tokenRequest(h: Harness, form: Record<string, string>, authorization: string | null = CF_CLIENT) {
  const headers: Record<string, string> = { 'content-type': 'application/x-www-form-urlencoded' };
  if (authorization !== null) headers.authorization = authorization;
  return h.request('POST', '/oauth/token', { payload: new URLSearchParams(form).toString(), headers });
}

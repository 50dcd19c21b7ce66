// The client a token request comes from, as UAA reads it: HTTP Basic (client_secret_basic, the
// id and secret form-encoded, then base64) or client_id and client_secret in the form
// (client_secret_post). The cf CLI sends `cf:` as Basic for the password grant, and its
// client_credentials login in the form. No client at all is the cf client, as before.
export interface PresentedClient {
  /** Undefined when the request names none. */
  id: string | undefined;
  secret: string;
}

/** Form-decoded as RFC 6749 §2.3.1 asks; a malformed escape is taken as sent, not refused. */
function formDecoded(text: string): string {
  try {
    return decodeURIComponent(text.replace(/\+/g, ' '));
  } catch {
    return text;
  }
}

export function presentedClient(authorization: string | undefined, form: Record<string, string>): PresentedClient {
  const basic = /^basic\s+(\S+)$/i.exec(authorization ?? '');
  if (basic) {
    const decoded = Buffer.from(basic[1], 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    return {
      id: formDecoded(colon < 0 ? decoded : decoded.slice(0, colon)),
      secret: colon < 0 ? '' : formDecoded(decoded.slice(colon + 1)),
    };
  }
  return { id: form.client_id, secret: form.client_secret ?? '' };
}

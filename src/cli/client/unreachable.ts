// Why a request never got an answer, in words that say what to do: the codes Node's fetch gives
// (its cause) for a refused connection, an unknown host, TLS spoken to a plain HTTP server and the
// other way round, or a certificate Node does not trust.
const CERTIFICATE_CODES = new Set([
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'CERT_HAS_EXPIRED',
  'ERR_TLS_CERT_ALTNAME_INVALID',
]);

/** One line: what happened reaching `api`, and what to try. */
export function unreachableReason(api: string, code: string | undefined, detail: string): string {
  const secure = api.startsWith('https:');
  const other = secure ? api.replace(/^https:/, 'http:') : api.replace(/^http:/, 'https:');
  const what = `cannot reach ${api}`;
  switch (code) {
    case 'ECONNREFUSED':
      return `${what}: nothing listens there (connection refused); is taskd running (taskd serve), and are the host and port right?`;
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return `${what}: no such host (${code}); check the address`;
    case 'ETIMEDOUT':
    case 'UND_ERR_CONNECT_TIMEOUT':
      return `${what}: no answer (${code}); check the address, and that no firewall is in the way`;
    case 'ERR_SSL_WRONG_VERSION_NUMBER':
    case 'ERR_SSL_PACKET_LENGTH_TOO_LONG':
      return `${what}: the server does not speak TLS there; use ${other}`;
  }
  if (code && CERTIFICATE_CODES.has(code))
    return `${what}: its TLS certificate is not trusted (${code}); give Node the certificate of its authority with NODE_EXTRA_CA_CERTS=/path/to/ca.pem`;
  // A TLS server drops a plain request without a word: the likeliest reason, though not the only one.
  if (!secure && (code === 'UND_ERR_SOCKET' || code === 'ECONNRESET'))
    return `${what}: the server closed the connection (${code}); if it speaks TLS, use ${other}`;
  return `${what}: ${code ?? detail}`;
}

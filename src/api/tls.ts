// HTTPS on taskd's own port, when given a certificate and its key (TASKD_TLS_CERT_FILE and
// TASKD_TLS_KEY_FILE; loadConfig has checked that both are there and make a usable pair).
import { readFileSync } from 'node:fs';
import type { Config } from '../config.js';

/** Fastify's `https` option: the PEM files read once at start (a renewed certificate needs a restart). */
export function httpsOption(config: Pick<Config, 'tlsCertFile' | 'tlsKeyFile'>): { https: { cert: Buffer; key: Buffer } } | object {
  if (config.tlsCertFile === undefined || config.tlsKeyFile === undefined) return {};
  return { https: { cert: readFileSync(config.tlsCertFile), key: readFileSync(config.tlsKeyFile) } };
}

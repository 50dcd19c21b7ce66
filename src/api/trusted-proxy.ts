// Reverse proxies in front of taskd (TASKD_TRUSTED_PROXIES). Their X-Forwarded-For names the
// client (request.ip: the login throttle and the per-address limits count it), their
// X-Forwarded-Proto and -Host the scheme and host that links are built from. From anyone else
// these headers are ignored: a client cannot choose the address it is counted as, nor the host
// that links point to. Even from a proxy, a scheme other than http(s) or a host that is not the
// shape of one is dropped, since many proxies pass on what the client sent.
import type { FastifyInstance } from 'fastify';
import type { Config } from '../config.js';

const HOST = /^[A-Za-z0-9.-]+(:\d{1,5})?$|^\[[0-9A-Fa-f:.]+\](:\d{1,5})?$/;

/** Fastify's trustProxy: the listed addresses and CIDRs, or nobody. */
export function trustProxyOption(config: Pick<Config, 'trustedProxies'>): string[] | false {
  return config.trustedProxies.length ? [...config.trustedProxies] : false;
}

/** The value a proxy appended last: the one it vouches for. */
function lastEntry(value: string | string[] | undefined): string | undefined {
  const joined = Array.isArray(value) ? value.join(',') : value;
  return joined?.split(',').pop()?.trim();
}

export function keepForwardedHeadersSane(app: FastifyInstance): void {
  app.addHook('onRequest', async (request) => {
    const { headers } = request;
    const proto = lastEntry(headers['x-forwarded-proto']);
    if (proto !== undefined && !/^https?$/i.test(proto)) delete headers['x-forwarded-proto'];
    else if (proto !== undefined) headers['x-forwarded-proto'] = proto.toLowerCase();
    const host = lastEntry(headers['x-forwarded-host']);
    if (host !== undefined && !HOST.test(host)) delete headers['x-forwarded-host'];
  });
}

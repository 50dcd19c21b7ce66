// The dashboard (web/, built by Vite into web/dist): its hashed assets under /assets/, and its
// page, which GET / answers to browsers (root.ts asks `dashboardPage` here). The dashboard talks
// to the public API only, so serving it is all the server does for it.
import { readFileSync, existsSync } from 'node:fs';
import path from 'node:path';
import type { FastifyInstance, FastifyReply } from 'fastify';
import { projectFile } from '../project-files.js';
import fastifyStatic from '@fastify/static';

export const DASHBOARD_DIST = projectFile('web', 'dist');
/** In the sources, not the build: browsers ask for it whether or not the dashboard is built. */
export const FAVICON_FILE = projectFile('web', 'favicon.ico');

/** Everything the page loads comes from taskd itself: no inline script, no third party. */
export const DASHBOARD_CSP =
  "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; " +
  "base-uri 'none'; form-action 'self'; frame-ancestors 'none'; object-src 'none'";

declare module 'fastify' {
  interface FastifyInstance {
    /** The dashboard's index.html, or null when web/dist has not been built. */
    dashboardPage: string | null;
  }
}

/**
 * Registers the built dashboard when there is one. A missing build is not an error: taskd is
 * an API first, so `/` then stays CF's root document for everyone.
 */
export async function registerDashboard(app: FastifyInstance, distDir = DASHBOARD_DIST): Promise<void> {
  serveFavicon(app);
  const indexFile = path.join(distDir, 'index.html');
  const page = existsSync(indexFile) ? readFileSync(indexFile, 'utf8') : null;
  app.decorate('dashboardPage', page);
  if (page === null) {
    app.log.warn(`dashboard not built (no ${indexFile}): GET / answers CF's root document only; run npm run build:web`);
    return;
  }
  const assets = path.join(distDir, 'assets');
  if (!existsSync(assets)) return;
  await app.register(fastifyStatic, {
    root: assets,
    prefix: '/assets/',
    // Vite names every asset by its content hash: a changed file is a new URL.
    cacheControl: false,
    index: false,
    decorateReply: false,
    setHeaders(res) {
      res.setHeader('cache-control', 'public, max-age=31536000, immutable');
      res.setHeader('content-security-policy', DASHBOARD_CSP);
      res.setHeader('x-content-type-options', 'nosniff');
    },
  });
}

/**
 * GET /favicon.ico: every browser asks for it, at the dashboard and at any API URL opened in a
 * tab; without it each visit logs a 404. Read once, at start.
 */
function serveFavicon(app: FastifyInstance): void {
  if (!existsSync(FAVICON_FILE)) return;
  const icon = readFileSync(FAVICON_FILE);
  app.get('/favicon.ico', { schema: { hide: true } }, (_request, reply) =>
    reply.type('image/x-icon').header('cache-control', 'public, max-age=86400').header('x-content-type-options', 'nosniff').send(icon),
  );
}

/** Browsers name text/html in Accept; the cf CLI and API clients send JSON or a bare wildcard. */
export function acceptsHtml(accept: string | undefined): boolean {
  if (!accept) return false;
  return accept.split(',').some((part) => {
    const [type, ...params] = part.trim().toLowerCase().split(';');
    if (type!.trim() !== 'text/html') return false;
    const q = params.map((p) => p.trim()).find((p) => p.startsWith('q='));
    return q === undefined || Number(q.slice(2)) > 0;
  });
}

/** The page itself is never cached, so a new build's asset names are picked up at once. */
export function sendDashboardPage(reply: FastifyReply, page: string): FastifyReply {
  return reply
    .type('text/html; charset=utf-8')
    .header('cache-control', 'no-cache')
    .header('content-security-policy', DASHBOARD_CSP)
    .header('x-content-type-options', 'nosniff')
    .header('referrer-policy', 'no-referrer')
    .send(page);
}

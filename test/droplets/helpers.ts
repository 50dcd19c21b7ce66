// API-level helpers for droplet tests: upload bits, wait for a job, make a staged droplet.
import assert from 'node:assert/strict';
import { lstatSync, readdirSync } from 'node:fs';
import path from 'node:path';
import type { Harness, Response } from '../support/harness.js';
import { goodBundle, multipart } from './tarballs.js';

export interface UploadOptions {
  filename?: string;
  field?: string;
  token?: string;
}

export function uploadBits(h: Harness, dropletGuid: string, bits: Buffer | string, options: UploadOptions = {}): Promise<Response> {
  const { payload, contentType } = multipart([
    { field: options.field ?? 'bits', filename: options.filename ?? 'droplet.tgz', content: bits },
  ]);
  return h.request('POST', `/v3/droplets/${dropletGuid}/upload`, {
    token: options.token ?? h.admin.token,
    payload,
    headers: { 'content-type': contentType },
  });
}

/** Polls a job (by Location URL or guid) until it leaves PROCESSING; gives up after about 10 s. */
export async function waitForJob(h: Harness, job: string, token = h.admin.token): Promise<any> {
  const url = job.startsWith('http') ? new URL(job).pathname : `/v3/jobs/${job}`;
  for (let i = 0; i < 400; i++) {
    const res = await h.get(url, token);
    assert.equal(res.status, 200, `GET ${url}: ${res.text}`);
    if (res.body.state !== 'PROCESSING') return res.body;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  throw new Error(`job ${url} still PROCESSING after 10 s`);
}

export async function createDroplet(
  h: Harness,
  appGuid: string,
  processTypes?: Record<string, string>,
  token = h.admin.token,
): Promise<any> {
  const res = await h.post(
    '/v3/droplets',
    { relationships: { app: { data: { guid: appGuid } } }, ...(processTypes ? { process_types: processTypes } : {}) },
    token,
  );
  assert.equal(res.status, 201, res.text);
  return res.body;
}

/** A droplet of the app with bits uploaded and STAGED. */
export async function stagedDroplet(h: Harness, appGuid: string, processTypes?: Record<string, string>): Promise<any> {
  const droplet = await createDroplet(h, appGuid, processTypes);
  const res = await uploadBits(h, droplet.guid, await goodBundle());
  assert.equal(res.status, 202, res.text);
  const job = await waitForJob(h, String(res.headers.location));
  assert.equal(job.state, 'COMPLETE', JSON.stringify(job));
  return (await h.get(`/v3/droplets/${droplet.guid}`)).body;
}

/** An app in the space with a staged droplet assigned as current (so it has processes). */
export async function appWithCurrentDroplet(
  h: Harness,
  spaceGuid: string,
  processTypes: Record<string, string> = { web: 'bundle exec rackup' },
) {
  const app = await h.app(spaceGuid);
  const droplet = await stagedDroplet(h, app.guid, processTypes);
  const res = await h.patch(`/v3/apps/${app.guid}/relationships/current_droplet`, { data: { guid: droplet.guid } });
  assert.equal(res.status, 200, res.text);
  return { app, droplet };
}

/** Every path under a directory (symlinks not followed), except the SQLite database files. */
export function treeOf(dir: string): string[] {
  const out: string[] = [];
  const walk = (rel: string) => {
    for (const name of readdirSync(path.join(dir, rel))) {
      if (rel === '' && name.startsWith('taskd.db')) continue;
      const child = rel ? `${rel}/${name}` : name;
      out.push(child);
      if (lstatSync(path.join(dir, child)).isDirectory()) walk(child);
    }
  };
  walk('');
  return out.sort();
}

// A tiny CF v3 client over fetch: tokens, and the chain an app needs before it can run tasks
// (app → droplet → upload → job → current droplet), as a real client would drive it.
import { gzipSync } from 'node:zlib';
import tar from 'tar-stream';

export class Api {
  constructor(
    readonly base: string,
    readonly token: string,
  ) {}

  static async login(base: string, username: string, password: string): Promise<Api> {
    const res = await fetch(`${base}/oauth/token`, {
      method: 'POST',
      headers: { authorization: `Basic ${Buffer.from('cf:').toString('base64')}`, 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: 'password', username, password }),
    });
    if (res.status !== 200) throw new Error(`login ${username}: ${res.status} ${await res.text()}`);
    return new Api(base, ((await res.json()) as { access_token: string }).access_token);
  }

  async request(
    method: string,
    path: string,
    body?: unknown,
    init: RequestInit = {},
  ): Promise<{ status: number; body: any; headers: Headers }> {
    const headers: Record<string, string> = { authorization: `bearer ${this.token}` };
    if (body !== undefined && !(body instanceof FormData)) headers['content-type'] = 'application/json';
    const res = await fetch(`${this.base}${path}`, {
      method,
      headers,
      body: body === undefined ? undefined : body instanceof FormData ? body : JSON.stringify(body),
      ...init,
    });
    const text = await res.text();
    let parsed: unknown;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      parsed = text;
    }
    return { status: res.status, body: parsed, headers: res.headers };
  }

  async expect(status: number, method: string, path: string, body?: unknown): Promise<any> {
    const res = await this.request(method, path, body);
    if (res.status !== status) throw new Error(`${method} ${path}: expected ${status}, got ${res.status} ${JSON.stringify(res.body)}`);
    return res.body;
  }

  async space(orgGuid: string, name: string): Promise<string> {
    const body = await this.expect(201, 'POST', '/v3/spaces', { name, relationships: { organization: { data: { guid: orgGuid } } } });
    return body.guid;
  }

  /** A new app in the space whose current droplet is STAGED (uploaded through the API). */
  async appWithDroplet(spaceGuid: string, name: string, bits?: Buffer): Promise<string> {
    const app = await this.expect(201, 'POST', '/v3/apps', { name, relationships: { space: { data: { guid: spaceGuid } } } });
    const droplet = await this.expect(201, 'POST', '/v3/droplets', {
      relationships: { app: { data: { guid: app.guid } } },
      process_types: { web: 'true' },
    });
    const form = new FormData();
    form.append('bits', new Blob([new Uint8Array(bits ?? (await bundleOf(0, 0)))], { type: 'application/gzip' }), 'droplet.tgz');
    const upload = await this.request('POST', `/v3/droplets/${droplet.guid}/upload`, form);
    if (upload.status !== 202) throw new Error(`upload: ${upload.status} ${JSON.stringify(upload.body)}`);
    const jobPath = new URL(upload.headers.get('location')!).pathname;
    // A droplet of many files takes a while to extract: up to two minutes.
    for (const deadline = Date.now() + 120_000; ;) {
      const job = await this.expect(200, 'GET', jobPath);
      if (job.state === 'COMPLETE') break;
      if (job.state === 'FAILED' || Date.now() > deadline) throw new Error(`droplet upload job: ${JSON.stringify(job)}`);
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
    await this.expect(200, 'PATCH', `/v3/apps/${app.guid}/relationships/current_droplet`, { data: { guid: droplet.guid } });
    return app.guid;
  }
}

/**
 * An app bundle of run.sh (`true`) and `files` files of `fileBytes` each, 100 to a directory, as a
 * real app's dependencies are: what a task's start copies grows with both. The contents compress
 * well, so uploading a large one stays quick; a copy costs the same either way.
 */
export async function bundleOf(files: number, fileBytes: number): Promise<Buffer> {
  const pack = tar.pack();
  const chunks: Buffer[] = [];
  const done = new Promise<void>((resolve, reject) => {
    pack.on('data', (c) => void chunks.push(c as Buffer));
    pack.on('end', resolve);
    pack.on('error', reject);
  });
  pack.entry({ name: 'app/run.sh', mode: 0o755 }, '#!/bin/sh\ntrue\n');
  for (let i = 0; i < files; i++) {
    const line = `file ${i} of a bench droplet\n`;
    pack.entry(
      { name: `app/lib/d${Math.floor(i / 100)}/f${i}.txt`, mode: 0o644 },
      line.repeat(Math.ceil(fileBytes / line.length)).slice(0, fileBytes),
    );
  }
  pack.finalize();
  await done;
  return gzipSync(Buffer.concat(chunks));
}

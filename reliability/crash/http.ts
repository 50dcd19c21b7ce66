// A small CF v3 client over real HTTP for the crash checks: log in, make an app whose droplet is
// staged, create, cancel, get and list tasks, and page through a task's log. A request that gets
// no answer (taskd was killed under it) resolves `undefined` rather than throwing: the check
// counts it as unacknowledged, which is exactly what the caller of a crashed server sees.
import { goodBundle } from '../../test/droplets/tarballs.js';
import { adminToken, bearer, send, type Answer } from '../support/http.js';

/** A single request gives up after this: a hung answer must not hang the check. */
const REQUEST_TIMEOUT_MS = 20_000;

export class TaskdClient {
  constructor(
    readonly url: string,
    private token = '',
  ) {}

  static async login(url: string, password: string): Promise<TaskdClient> {
    return new TaskdClient(url, await adminToken(url, password, REQUEST_TIMEOUT_MS));
  }

  /** The answer, or undefined when none came (connection refused or reset, timeout). */
  async tryRequest(
    method: string,
    path: string,
    body?: unknown,
    init: { headers?: Record<string, string>; raw?: BodyInit } = {},
  ): Promise<Answer | undefined> {
    const res = await send({
      method,
      url: `${this.url}${path}`,
      authorization: bearer(this.token),
      json: body,
      raw: init.raw,
      headers: init.headers,
      timeoutMs: REQUEST_TIMEOUT_MS,
    });
    return res.status === 0 ? undefined : res;
  }

  /** A request that must be answered with `status`. */
  async expect(status: number, method: string, path: string, body?: unknown): Promise<any> {
    const res = await this.tryRequest(method, path, body);
    if (!res) throw new Error(`${method} ${path}: no answer`);
    if (res.status !== status) throw new Error(`${method} ${path}: expected ${status}, got ${res.status} ${res.text.slice(0, 500)}`);
    return res.body;
  }

  /** An org, a space and an app whose current droplet is staged from a small bundle. */
  async appWithDroplet(name: string): Promise<string> {
    const org = await this.expect(201, 'POST', '/v3/organizations', { name: `${name}-org` });
    const space = await this.expect(201, 'POST', '/v3/spaces', {
      name: `${name}-space`,
      relationships: { organization: { data: { guid: org.guid } } },
    });
    const app = await this.expect(201, 'POST', '/v3/apps', { name, relationships: { space: { data: { guid: space.guid } } } });
    const droplet = await this.expect(201, 'POST', '/v3/droplets', {
      relationships: { app: { data: { guid: app.guid } } },
      process_types: { web: 'true' },
    });
    const form = new FormData();
    form.append('bits', new Blob([new Uint8Array(await goodBundle())], { type: 'application/gzip' }), 'droplet.tgz');
    const upload = await this.tryRequest('POST', `/v3/droplets/${droplet.guid}/upload`, undefined, { raw: form });
    if (upload?.status !== 202) throw new Error(`droplet upload: ${upload?.status} ${upload?.text}`);
    for (let i = 0; ; i++) {
      const d = await this.expect(200, 'GET', `/v3/droplets/${droplet.guid}`);
      if (d.state === 'STAGED') break;
      if (d.state === 'FAILED' || i > 800) throw new Error(`droplet did not stage: ${JSON.stringify(d)}`);
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
    await this.expect(200, 'PATCH', `/v3/apps/${app.guid}/relationships/current_droplet`, { data: { guid: droplet.guid } });
    return app.guid;
  }

  /** Every task of the app (one page: the checks make far fewer than CF's 5000 per page). */
  async tasksOfApp(appGuid: string): Promise<any[]> {
    const body = await this.expect(200, 'GET', `/v3/tasks?app_guids=${appGuid}&per_page=5000`);
    return body.resources;
  }

  /** A task's whole log, page by page (GET /v3/tasks/:guid/log?after_seq=N). */
  async logOf(taskGuid: string): Promise<{ seq: number; text: string }[]> {
    const lines: { seq: number; text: string }[] = [];
    for (;;) {
      const after = lines.length ? lines[lines.length - 1]!.seq : 0;
      const res = await this.tryRequest('GET', `/v3/tasks/${taskGuid}/log?after_seq=${after}`);
      if (res?.status !== 200) throw new Error(`GET log of ${taskGuid}: ${res?.status} ${res?.text.slice(0, 300)}`);
      if (!res.text) return lines;
      const page = res.text
        .slice(0, -1)
        .split('\n')
        .map((l) => JSON.parse(l) as { seq: number; text: string });
      for (const { seq, text } of page) lines.push({ seq, text });
      if (page.length < 10_000) return lines;
    }
  }
}

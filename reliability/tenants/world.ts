// The two tenants, made as an operator makes them: the admin creates, for each, an org, a space, an
// app with a staged current droplet and a user with a password, who is an organization_user of
// its org and a SpaceDeveloper of its own space and nothing else. Each then logs in for itself.
import { goodBundle, multipart } from '../../test/droplets/tarballs.js';
import { sleep } from '../support/taskd-process.js';
import { TenantClient, type Call, type Reply } from './client.js';
import type { SharedTaskd } from './server.js';

export interface Tenant {
  name: string;
  username: string;
  password: string;
  userGuid: string;
  orgGuid: string;
  spaceGuid: string;
  appGuid: string;
  /** Logged in as this tenant, from its own address. */
  client: TenantClient;
}

/** The loopback address each tenant's connections come from. */
export const ADDRESSES = { quiet: '127.0.0.1', noisy: '127.0.0.2' } as const;

export async function setUpTenant(taskd: SharedTaskd, name: keyof typeof ADDRESSES): Promise<Tenant> {
  const admin = new TenantClient(taskd.port, '127.0.0.1', taskd.adminToken);
  const created = async (call: Call, status = 201): Promise<any> => {
    const res = await admin.send(call);
    if (res.status !== status) throw new Error(`${call.method} ${call.path}: ${described(res)}`);
    return res.body;
  };
  const org = await created({ method: 'POST', path: '/v3/organizations', json: { name: `${name}-org` } });
  const space = await created({
    method: 'POST',
    path: '/v3/spaces',
    json: { name: `${name}-space`, relationships: { organization: { data: { guid: org.guid } } } },
  });
  const app = await created({
    method: 'POST',
    path: '/v3/apps',
    json: { name: `${name}-app`, relationships: { space: { data: { guid: space.guid } } } },
  });
  const droplet = await created({ method: 'POST', path: '/v3/droplets', json: { relationships: { app: { data: { guid: app.guid } } } } });
  await uploadBits(admin, droplet.guid, await goodBundle());
  await settled(admin, droplet.guid);
  await created(
    { method: 'PATCH', path: `/v3/apps/${app.guid}/relationships/current_droplet`, json: { data: { guid: droplet.guid } } },
    200,
  );
  // Long enough for any password policy (issue 17 asks for at least 12 characters).
  const username = `${name}-developer`;
  const password = `${name}-password-of-the-tenants-check`;
  const user = await created({ method: 'POST', path: '/v3/users', json: { username, password } });
  const user_ = { data: { guid: user.guid } };
  await created({
    method: 'POST',
    path: '/v3/roles',
    json: { type: 'organization_user', relationships: { user: user_, organization: { data: { guid: org.guid } } } },
  });
  await created({
    method: 'POST',
    path: '/v3/roles',
    json: { type: 'space_developer', relationships: { user: user_, space: { data: { guid: space.guid } } } },
  });
  const client = new TenantClient(taskd.port, ADDRESSES[name], await taskd.login(username, password));
  return { name, username, password, userGuid: user.guid, orgGuid: org.guid, spaceGuid: space.guid, appGuid: app.guid, client };
}

/** Uploads a bundle as the bits of a droplet awaiting them. */
export function uploadBits(client: TenantClient, dropletGuid: string, bundle: Buffer, signal?: AbortSignal): Promise<Reply> {
  const { payload, contentType } = multipart([{ field: 'bits', filename: 'droplet.tgz', content: bundle }]);
  return client.send({
    method: 'POST',
    path: `/v3/droplets/${dropletGuid}/upload`,
    raw: payload,
    headers: { 'content-type': contentType },
    signal,
  });
}

/** Waits for the admin's droplet to be STAGED. */
async function settled(admin: TenantClient, guid: string): Promise<void> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const res = await admin.send({ method: 'GET', path: `/v3/droplets/${guid}` });
    if (res.status === 200 && res.body.state === 'STAGED') return;
    if (res.status === 200 && res.body.state !== 'PROCESSING_UPLOAD' && res.body.state !== 'AWAITING_UPLOAD')
      throw new Error(`droplet ${guid} ended ${res.body.state}`);
    if (Date.now() > deadline) throw new Error(`droplet ${guid} not staged within 30 s: ${described(res)}`);
    await sleep(50);
  }
}

export function described(res: Reply): string {
  return res.status ? `${res.status} ${res.text.slice(0, 300)}` : `no answer (${res.error})`;
}

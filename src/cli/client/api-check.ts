// Before a password goes anywhere: is the address a taskd (or Cloud Foundry) API at all? Its root
// answers CF's links (GET /, as `cf api` reads it); anything else — a web page, another service,
// a proxy's error — is said, and nothing is sent to it.
import { reach } from './api-client.js';
import { CliError } from './errors.js';

export async function requireTaskdApi(api: string): Promise<void> {
  const res = await reach(api, `${api}/`, { headers: { accept: 'application/json' } });
  const text = await res.text().catch(() => '');
  let links: unknown;
  try {
    links = (JSON.parse(text) as { links?: { cloud_controller_v3?: unknown } }).links?.cloud_controller_v3;
  } catch {
    // Not JSON: not an API of ours.
  }
  if (res.ok && links) return;
  const type = res.headers.get('content-type')?.split(';')[0] ?? 'no content type';
  throw new CliError(`${api} is not a taskd API (GET / answered ${res.status} ${type}, without the API's links); check the address`);
}

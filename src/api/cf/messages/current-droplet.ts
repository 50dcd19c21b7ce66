// PATCH /v3/apps/:guid/relationships/current_droplet: `{"data": {"guid": D}}`.
import { unprocessable } from '../../../core/errors.js';
import { bodyObject, isObject } from './common.js';

export const UNABLE_TO_ASSIGN = 'Unable to assign current droplet. Ensure the droplet exists and belongs to this app.';
export const CANNOT_REMOVE = 'Current droplet cannot be removed. Replace it with a preferred droplet.';

/** The requested droplet guid. CF refuses `"data": null` (removal) before it looks up the app. */
export function parseCurrentDropletUpdate(raw: unknown): { dropletGuid: string } {
  const body = bodyObject(raw);
  const guid = isObject(body.data) ? body.data.guid : undefined;
  if ('data' in body && (guid === null || guid === undefined)) throw unprocessable(CANNOT_REMOVE);
  // A missing or malformed guid can name no droplet of this app.
  if (typeof guid !== 'string') throw unprocessable(UNABLE_TO_ASSIGN);
  return { dropletGuid: guid };
}

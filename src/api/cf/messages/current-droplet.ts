// PATCH /v3/apps/:guid/relationships/current_droplet: `{"data": {"guid": D}}`.
import { unprocessable } from '../../../core/errors.js';
import { UNABLE_TO_ASSIGN } from '../../../actions/current-droplet.js';
import { bodyObject, isObject } from './common.js';

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

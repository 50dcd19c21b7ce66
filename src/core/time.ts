// Stored timestamps are ISO-8601 UTC with milliseconds: fixed width, so text order is time order.
export const nowIso = (): string => new Date().toISOString();

/** CF presents timestamps at whole-second precision: `YYYY-MM-DDThh:mm:ssZ`. */
export const toCfTime = (stored: string): string => `${stored.slice(0, 19)}Z`;

/** `YYYY-MM-DDThh:mm:ssZ` exactly, as CF's timestamp filters demand. */
export const CF_TIMESTAMP = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/;

/** The stored form of the first instant of a whole-second CF timestamp. */
export function cfSecondStart(t: string): string {
  return `${t.slice(0, 19)}.000Z`;
}

/** The stored form of the first instant after a whole-second CF timestamp's second. */
export function cfSecondEnd(t: string): string {
  return new Date(Date.parse(t) + 1000).toISOString();
}

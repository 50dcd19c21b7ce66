import type { PresentedMetadata } from '../../../store/metadata.js';

const empty: PresentedMetadata = { labels: {}, annotations: {} };

/** Copies so that a shared empty default is never mutated by a caller. */
export const presentMetadata = (m: PresentedMetadata | undefined): PresentedMetadata => ({
  labels: { ...(m ?? empty).labels },
  annotations: { ...(m ?? empty).annotations },
});

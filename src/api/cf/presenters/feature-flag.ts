import type { FeatureFlagRow } from '../../../fetchers/feature-flags.js';
import { toCfTime } from '../../../core/time.js';

export function presentFeatureFlag(flag: FeatureFlagRow, base: string) {
  return {
    name: flag.name,
    enabled: flag.enabled === 1,
    updated_at: toCfTime(flag.updated_at),
    custom_error_message: flag.custom_error_message,
    links: { self: { href: `${base}/v3/feature_flags/${flag.name}` } },
  };
}

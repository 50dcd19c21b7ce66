// A parsed resource list query (CF's list grammar, spec §5, is parsed in api/cf/messages/
// list-query.ts): paging, ordering, comma-list filters, timestamp ranges and label requirements,
// as the fetchers of apps, spaces, orgs, … turn them into SQL (fetchers/list.ts). Pure data.
import type { LabelRequirement } from './labels.js';

/** A stored-time range: `from` inclusive, `to` exclusive (ISO strings). */
export interface TimeRange {
  from?: string;
  to?: string;
}

export interface TimeFilter {
  /** Equality: any of these whole seconds. */
  anyOf?: TimeRange[];
  /** Relational operators, AND-ed. */
  range?: TimeRange;
}

export interface ListQuery {
  page: number;
  perPage: number;
  orderBy?: { column: string; direction: 'asc' | 'desc' };
  /** Comma-list filters by parameter name (`guids`, `names`, …). */
  lists: Record<string, string[]>;
  /** Keyed by column: `created_at`, `updated_at`. */
  times: Record<string, TimeFilter>;
  labelSelector?: LabelRequirement[];
}

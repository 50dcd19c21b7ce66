// What a list request asks for, in vSphere's own terms (specs/dialects.md §2.4), whichever
// encoding carried it: the /rest query (indexed or repeated keys) or the /api JSON body.
export interface DynamicId {
  type: string;
  id: string;
}

/** FilterSpec: every field optional; AND across fields, OR within one. Empty means unset. */
export interface FilterSpec {
  tasks: string[];
  services: string[];
  operations: string[];
  status: string[];
  targets: DynamicId[];
  users: string[];
}

/** GetSpec (`result_spec` of list, `spec` of get). */
export interface ResultSpec {
  /** Add taskd's own fields under result.taskd. */
  returnAll: boolean;
  /** Leave `result` out. */
  excludeResult: boolean;
}

export const STRING_FILTER_FIELDS = ['tasks', 'services', 'operations', 'status', 'users'] as const;
export type StringFilterField = (typeof STRING_FILTER_FIELDS)[number];

export const RESULT_SPEC_FIELDS = { return_all: 'returnAll', exclude_result: 'excludeResult' } as const;
export type ResultSpecField = keyof typeof RESULT_SPEC_FIELDS;

/**
 * Most values one filter field takes. A list answers at most 1000 tasks, so a longer list of ids
 * asks for more than can be answered; the bound also keeps every filter one SQL `in` list.
 */
export const MAX_FILTER_VALUES = 1000;

export const emptyFilterSpec = (): FilterSpec => ({ tasks: [], services: [], operations: [], status: [], targets: [], users: [] });
export const defaultResultSpec = (): ResultSpec => ({ returnAll: false, excludeResult: false });

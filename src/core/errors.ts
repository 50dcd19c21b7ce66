// The one error catalog. Every error taskd can answer with is named here once, with its HTTP
// status, CF code and detail template; each API dialect renders these in its own envelope.

export interface ErrorDefinition {
  status: number;
  code: number;
  /** CF title without the `CF-` prefix. */
  title: string;
  /** `%s` / `%d` placeholders are filled from the error's arguments, in order. */
  template: string;
}

export const errorCatalog = {
  MessageParseError: { status: 400, code: 1001, title: 'MessageParseError', template: 'Request invalid due to parse error: %s' },
  BadQueryParameter: { status: 400, code: 10005, title: 'BadQueryParameter', template: 'The query parameter is invalid: %s' },
  InvalidRequest: { status: 400, code: 10004, title: 'InvalidRequest', template: 'The request is invalid' },
  /** A request a dialect refuses in its own words (the detail is the whole message). */
  BadRequest: { status: 400, code: 10004, title: 'InvalidRequest', template: '%s' },
  InvalidAuthToken: { status: 401, code: 1000, title: 'InvalidAuthToken', template: 'Invalid Auth Token' },
  NotAuthenticated: { status: 401, code: 10002, title: 'NotAuthenticated', template: 'Authentication error' },
  NotAuthorized: { status: 403, code: 10003, title: 'NotAuthorized', template: 'You are not authorized to perform the requested action' },
  FeatureDisabled: { status: 403, code: 330002, title: 'FeatureDisabled', template: 'Feature Disabled: %s' },
  OrgSuspended: { status: 403, code: 10017, title: 'OrgSuspended', template: 'The organization is suspended' },
  SpaceSuspended: { status: 403, code: 10019, title: 'SpaceSuspended', template: 'The space is suspended' },
  NotFound: { status: 404, code: 10000, title: 'NotFound', template: 'Unknown request' },
  ResourceNotFound: { status: 404, code: 10010, title: 'ResourceNotFound', template: '%s' },
  ProcessNotFound: { status: 404, code: 350003, title: 'ProcessNotFound', template: 'The process could not be found: %s' },
  FeatureFlagNotFound: { status: 404, code: 330000, title: 'FeatureFlagNotFound', template: 'The feature flag could not be found: %s' },
  MethodNotAllowed: { status: 405, code: 10000, title: 'NotFound', template: 'Unknown request' },
  NotAcceptable: { status: 406, code: 10006, title: 'NotAcceptable', template: 'The request is not acceptable: %s' },
  IdempotencyConflict: { status: 409, code: 10009, title: 'IdempotencyKeyReused', template: '%s' },
  RequestEntityTooLarge: { status: 413, code: 10014, title: 'RequestEntityTooLarge', template: 'Request entity too large: %s' },
  UnsupportedMediaType: {
    status: 415,
    code: 10013,
    title: 'UnsupportedMediaType',
    template: 'The request media type is not supported: %s',
  },
  /** CC's `bad_request!`: a request it refuses with a reason. */
  BadRequestReason: { status: 400, code: 1004, title: 'BadRequest', template: 'Bad request: %s' },
  PackageBitsAlreadyUploaded: {
    status: 400,
    code: 150004,
    title: 'PackageBitsAlreadyUploaded',
    template: 'Bits may be uploaded only once. Create a new package to upload different bits.',
  },
  StagingInProgress: {
    status: 422,
    code: 170017,
    title: 'StagingInProgress',
    template: 'Only one build can be STAGING at a time per application.',
  },
  UnprocessableEntity: { status: 422, code: 10008, title: 'UnprocessableEntity', template: '%s' },
  UniquenessError: { status: 422, code: 10016, title: 'UniquenessError', template: '%s' },
  ResourceBeingDeleted: { status: 422, code: 10020, title: 'ResourceBeingDeleted', template: 'The %s is being deleted' },
  LabelLimitExceeded: {
    status: 422,
    code: 390020,
    title: 'LabelLimitExceeded',
    template: 'Failed to add %d labels because it would exceed maximum of %d',
  },
  AnnotationLimitExceeded: {
    status: 422,
    code: 390023,
    title: 'AnnotationLimitExceeded',
    template: 'Failed to add %d annotations because it would exceed maximum of %d',
  },
  TooManyRequests: { status: 429, code: 10013, title: 'RateLimitExceeded', template: 'Rate Limit Exceeded' },
  UnknownError: { status: 500, code: 10001, title: 'UnknownError', template: 'An unknown error occurred.' },
  TaskError: { status: 500, code: 170019, title: 'TaskError', template: 'Task failed: %s' },
  DatabaseError: { status: 500, code: 10011, title: 'DatabaseError', template: 'Database error' },
  ServiceUnavailable: { status: 503, code: 10015, title: 'ServiceUnavailable', template: 'Database connection failure' },
  /** The store or the data directory is out of space (disk full): nothing of the request was kept. */
  StorageFull: {
    status: 503,
    code: 10015,
    title: 'ServiceUnavailable',
    template: 'The server is out of storage space; nothing was changed. Try again once space is freed.',
  },
  TaskWorkersUnavailable: { status: 503, code: 170020, title: 'TaskWorkersUnavailable', template: 'Task workers are unavailable: %s' },
} as const satisfies Record<string, ErrorDefinition>;

export type ErrorName = keyof typeof errorCatalog;

/** An error from the catalog. Actions and message parsers throw these; dialects render them. */
export class ApiError extends Error {
  readonly definition: ErrorDefinition;
  readonly args: readonly (string | number)[];

  constructor(
    readonly errorName: ErrorName,
    ...args: (string | number)[]
  ) {
    const definition: ErrorDefinition = errorCatalog[errorName];
    // A client's error needs no stack: nothing logs it, and capturing one for every refusal of a
    // request flood was a few percent of the event loop (tenants check profile). 5xx keep theirs.
    const stackTraceLimit = Error.stackTraceLimit;
    if (definition.status < 500) Error.stackTraceLimit = 0;
    try {
      super(fillTemplate(definition.template, args));
    } finally {
      Error.stackTraceLimit = stackTraceLimit;
    }
    this.definition = definition;
    this.args = args;
  }

  get status(): number {
    return this.definition.status;
  }

  get detail(): string {
    return this.message;
  }
}

function fillTemplate(template: string, args: readonly (string | number)[]): string {
  let i = 0;
  return template.replace(/%[sd]/g, () => String(args[i++] ?? ''));
}

export const notFound = (what: string) => new ApiError('ResourceNotFound', `${what} not found`);
export const unprocessable = (detail: string) => new ApiError('UnprocessableEntity', detail);
export const notAuthorized = () => new ApiError('NotAuthorized');
export const badQuery = (detail: string) => new ApiError('BadQueryParameter', detail);

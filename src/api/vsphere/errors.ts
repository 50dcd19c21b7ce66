// vSphere's standard errors (specs/dialects.md §2.6, §5) and how every error taskd raises is
// answered in them. /rest and /api name the same error types differently and disagree on one
// status (a privilege failure is 401 on /rest, 403 on /api); wire.ts renders the envelopes.
import type { FastifyError } from 'fastify';
import { ApiError, type ErrorName } from '../../core/errors.js';

export const VSPHERE_ERROR_STATUS = {
  invalid_argument: 400,
  not_allowed_in_current_state: 400,
  unsupported: 400,
  unauthenticated: 401,
  unauthorized: 403,
  not_found: 404,
  // 404, not the Swagger's 400: taskd's decision (§5), the seed document's own wording.
  resource_inaccessible: 404,
  error: 500,
  service_unavailable: 503,
} as const;
export type VsphereErrorType = keyof typeof VSPHERE_ERROR_STATUS;

/**
 * An error as vSphere clients read it: its standard type and one LocalizableMessage. Raised by
 * this dialect's own parsers and limits; catalog errors from the core are mapped with
 * fromApiError.
 */
export class VsphereError extends Error {
  constructor(
    readonly type: VsphereErrorType,
    message: string,
    readonly args: readonly string[] = [],
    /** A status other than the type's own (a rate limit: 429 with service_unavailable). */
    readonly statusOverride?: number,
  ) {
    super(message);
  }

  /** A stable id per type, so clients can match without parsing English. */
  get messageId(): string {
    return `taskd.error.${this.type}`;
  }
}

export const invalidArgument = (message: string) => new VsphereError('invalid_argument', message);
export const unauthenticated = (message: string) => new VsphereError('unauthenticated', message);
export const taskNotFound = (id: string) => new VsphereError('not_found', `Task ${id} not found`, [id]);

/**
 * The task id of a `/cis/tasks/:task` path. On /rest a client library may write it as `id:<task>`,
 * the form the /rest encoding gives identifiers in paths; it names the same task. One with NUL
 * cannot exist (nor be asked of PostgreSQL).
 */
export function taskIdOf({ task }: { task: string }, wire: { name: string }): string {
  const id = wire.name === 'rest' && task.startsWith('id:') ? task.slice('id:'.length) : task;
  if (id.includes('\0')) throw taskNotFound(id);
  return id;
}

/** Catalog errors by the vSphere type that says the same; any other is an `error` (500). */
const TYPE_OF: Partial<Record<ErrorName, VsphereErrorType>> = {
  MessageParseError: 'invalid_argument',
  BadQueryParameter: 'invalid_argument',
  InvalidRequest: 'invalid_argument',
  RequestEntityTooLarge: 'invalid_argument',
  UnsupportedMediaType: 'invalid_argument',
  InvalidAuthToken: 'unauthenticated',
  NotAuthenticated: 'unauthenticated',
  NotAuthorized: 'unauthorized',
  FeatureDisabled: 'unauthorized',
  OrgSuspended: 'unauthorized',
  SpaceSuspended: 'unauthorized',
  NotFound: 'not_found',
  ResourceNotFound: 'not_found',
  MethodNotAllowed: 'not_found',
  // The core raises it for a transition the task's state forbids (cancel of a finished task).
  UnprocessableEntity: 'not_allowed_in_current_state',
  TooManyRequests: 'service_unavailable',
  ServiceUnavailable: 'service_unavailable',
  StorageFull: 'service_unavailable',
  TaskWorkersUnavailable: 'service_unavailable',
};

export function fromApiError(error: ApiError): VsphereError {
  // vAPI has no type for a rate limit: service_unavailable says "try again later" in its words,
  // and 429 (not its 503) says the client, not the server, is the cause.
  const status = error.errorName === 'TooManyRequests' ? error.status : undefined;
  return new VsphereError(TYPE_OF[error.errorName] ?? 'error', error.detail, error.args.map(String), status);
}

/**
 * Any error a request can end in, as a vSphere error; undefined for an unexpected one (the plugin
 * logs it and answers a bare `error`). Fastify's own request errors (oversized body, bad
 * content length) are the client's: invalid_argument.
 */
export function toVsphereError(error: FastifyError | Error): VsphereError | undefined {
  if (error instanceof VsphereError) return error;
  if (error instanceof ApiError) return fromApiError(error);
  const status = (error as FastifyError).statusCode;
  if (status === 413) return invalidArgument('The request body is larger than this server accepts');
  if (status !== undefined && status >= 400 && status < 500) return invalidArgument(`The request is invalid: ${error.message}`);
  return undefined;
}

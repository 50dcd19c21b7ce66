// Astra's RFC 7807 problem envelope (specs/dialects.md §1.7): the problems taskd answers with,
// their wire titles and details, and how the core error catalog maps onto them.
import { ApiError, type ErrorName } from '../../core/errors.js';

export const PROBLEM_MEDIA_TYPE = 'application/problem+json';

interface ProblemDefinition {
  status: number;
  title: string;
  detail: string;
}

export const PROBLEMS = {
  1: { status: 404, title: 'Resource not found', detail: "The resource specified in the request URI wasn't found." },
  2: { status: 404, title: 'Collection not found', detail: "The collection specified in the request URI wasn't found." },
  3: { status: 401, title: 'Missing bearer token', detail: 'The request is missing the required bearer token.' },
  4: { status: 401, title: 'Invalid bearer token', detail: "The bearer token provided is invalid, revoked, or doesn't exist." },
  5: { status: 400, title: 'Invalid query parameters', detail: 'The supplied query parameters are invalid.' },
  6: { status: 400, title: 'Query parameters not supported', detail: "The supplied query parameters aren't supported for this endpoint." },
  7: { status: 400, title: 'Invalid JSON payload', detail: 'The request body is not valid JSON.' },
  11: { status: 403, title: 'Operation not permitted', detail: "The requested operation isn't permitted." },
  18: { status: 404, title: 'Account not found', detail: "The account isn't found." },
  24: { status: 503, title: 'Service unavailable', detail: 'The service is unavailable.' },
  32: { status: 406, title: 'Unsupported content type', detail: "The response can't be returned in the requested format." },
  33: { status: 400, title: 'Invalid account ID', detail: "The specified account ID isn't in the appropriate format." },
  34: { status: 500, title: 'Internal server error', detail: 'The server was unable to process this request.' },
  35: { status: 400, title: 'Invalid resource ID', detail: "The resource ID isn't in the appropriate format." },
  69: { status: 405, title: 'Method not supported', detail: "The requested method isn't supported for the specified resource." },
} as const satisfies Record<number, ProblemDefinition>;

export type ProblemNumber = keyof typeof PROBLEMS;

export interface InvalidParam {
  name: string;
  reason: string;
}

/** A problem an Astra message parser or route raises; the plugin renders it as is. */
export class AstraProblem extends Error {
  constructor(
    readonly problem: ProblemNumber,
    readonly invalidParams?: InvalidParam[],
    /** A status other than the problem's own (a rate limit: 429 with problem 24). */
    readonly statusOverride?: number,
  ) {
    super(PROBLEMS[problem].title);
  }

  get status(): number {
    return this.statusOverride ?? PROBLEMS[this.problem].status;
  }
}

/** Problem 5 naming the offending parameter and why. */
export const invalidQuery = (name: string, reason: string) => new AstraProblem(5, [{ name, reason }]);

export interface ProblemBody {
  type: string;
  title: string;
  detail: string;
  /** A string on the wire, as Astra sends it. */
  status: string;
  invalidParams?: InvalidParam[];
}

export function problemBody(problem: AstraProblem): ProblemBody {
  const { title, detail } = PROBLEMS[problem.problem];
  const body: ProblemBody = { type: `https://astra.netapp.io/problems/${problem.problem}`, title, detail, status: String(problem.status) };
  if (problem.invalidParams) body.invalidParams = problem.invalidParams;
  return body;
}

/** Core catalog errors that reach an Astra route (from identify, fetchers) and their problems. */
const FROM_CATALOG: Partial<Record<ErrorName, ProblemNumber>> = {
  NotAuthenticated: 3,
  InvalidAuthToken: 4,
  NotAuthorized: 11,
  ResourceNotFound: 1,
  NotFound: 1,
  MethodNotAllowed: 69,
  NotAcceptable: 32,
  BadQueryParameter: 5,
  InvalidRequest: 5,
  MessageParseError: 7,
  ServiceUnavailable: 24,
  StorageFull: 24,
  TaskWorkersUnavailable: 24,
};

/** The problem for any error, or undefined when it is unexpected (a logged 500, problem 34). */
export function toProblem(error: unknown): AstraProblem | undefined {
  if (error === undefined) return undefined;
  if (error instanceof AstraProblem) return error;
  if (error instanceof ApiError) {
    // Astra has no problem for a rate limit: 24 says "try later" in its words, and 429 (not its
    // 503) says the client, not the service, is the cause (as vSphere's service_unavailable does).
    if (error.errorName === 'TooManyRequests') return new AstraProblem(24, undefined, 429);
    const n = FROM_CATALOG[error.errorName];
    return n === undefined ? undefined : new AstraProblem(n);
  }
  // Fastify's own request errors (malformed URL, bad headers, ...) are the client's fault.
  const status = (error as { statusCode?: number }).statusCode;
  if (status === 404) return new AstraProblem(1);
  if (status === 405) return new AstraProblem(69);
  if (status === 406) return new AstraProblem(32);
  if (status !== undefined && status >= 400 && status < 500) return new AstraProblem(5);
  return undefined;
}

// The two ways a client verb fails: a usage mistake (exit status 2, like commander's own) or a
// failure to do what was asked (exit status 1). Either is printed as one line on stderr.

/** The command line itself is wrong: a bad value, a missing setting. */
export class UsageError extends Error {}

/** The request could not be carried out; the message is what the user needs to know. */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitStatus = 1,
  ) {
    super(message);
  }
}

/** The API refused a request; `detail` is its own explanation (CF errors[0].detail, UAA error_description). */
export class ApiFailure extends CliError {
  constructor(
    readonly status: number,
    readonly detail: string,
  ) {
    super(detail);
  }
}

/** The API could not be reached at all (refused, reset, DNS): worth retrying where a stream resumes. */
export class Unreachable extends CliError {}

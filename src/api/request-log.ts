// One line per request, written off the event loop. Fastify's default logs each request twice
// (when it comes in and when it is answered) with a synchronous write to stdout each time: under
// a flood of refused requests that was a tenth of the event loop (tenants check profile). The
// single line is written when the answer is sent and says what both said; pino writes it through
// an asynchronous destination that gathers the lines written while a write is under way into the
// next one, and flushes what is left when the process exits.
import { LogController, type FastifyReply, type FastifyRequest, type FastifyServerOptions } from 'fastify';
import { pino } from 'pino';

const REDACTED = ['req.headers.authorization', 'req.headers.cookie', 'req.headers["vmware-api-session-id"]'];

class OneLinePerRequest extends LogController {
  override incomingRequest(): void {}

  override requestCompleted(error: Error | null | undefined, request: FastifyRequest, reply: FastifyReply): void {
    // Fastify's serializers: the request's method, url, host and address, the answer's status.
    const line = { req: request, res: reply, responseTime: reply.elapsedTime };
    if (error) reply.log.error({ ...line, err: error }, 'request errored');
    else reply.log.info(line, 'request completed');
  }
}

/** Fastify's logger options for a server that logs its requests. */
export function requestLoggerOptions(): Pick<FastifyServerOptions, 'logger' | 'logController'> {
  return {
    logger: { level: 'info', redact: REDACTED, stream: pino.destination({ dest: 1, sync: false }) },
    logController: new OneLinePerRequest(),
  };
}

// The NetApp Astra Control tasks dialect (specs/dialects.md §1, §5): Astra's problem+json
// envelope for every answer under /accounts, including unknown paths and unexpected failures.
// Where the spec leaves room, taskd checks a request in this order: token (3, 4, 11), path ids
// (33, 35), query (6, then 5), Accept (32), account (18), task (1); other methods are 405
// (problem 69) for anyone, before any token or body is looked at; unknown paths are problem 1.
import type { FastifyError, FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import type { AppContext } from '../../context.js';
import { typed } from '../typed-app.js';
import { AstraProblem, PROBLEM_MEDIA_TYPE, problemBody, toProblem } from './problems.js';
import { astraTaskRoutes } from './routes/tasks.js';
import { logUnexpectedError } from '../unexpected-error.js';
import { storageFullError } from '../storage-full.js';

function sendProblem(reply: FastifyReply, problem: AstraProblem) {
  return reply.status(problem.status).type(PROBLEM_MEDIA_TYPE).send(problemBody(problem));
}

export function astraErrorHandler(error: FastifyError | Error, request: FastifyRequest, reply: FastifyReply) {
  let problem = toProblem(error) ?? toProblem(storageFullError(request, error));
  if (!problem) {
    logUnexpectedError(request, error);
    problem = new AstraProblem(34);
  }
  return sendProblem(reply, problem);
}

/** Registered under the prefix `/accounts`. */
export const astraPlugin: FastifyPluginAsync<{ ctx: AppContext }> = async (app, { ctx }) => {
  app.setErrorHandler(astraErrorHandler);
  app.setNotFoundHandler((_request, reply) => sendProblem(reply, new AstraProblem(1)));
  astraTaskRoutes(typed(app), ctx);
};

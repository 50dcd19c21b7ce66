// GET /v3/tasks/:guid/log (taskd extension: NDJSON output lines).
import type { FastifyInstance } from 'fastify';
import type { AppContext } from '../../../context.js';

export function taskLogRoutes(_app: FastifyInstance, _ctx: AppContext) {}

// GET /v3/tasks, GET /v3/apps/:guid/tasks, GET /v3/tasks/:guid.
import type { FastifyInstance } from 'fastify';
import type { AppContext } from '../../../context.js';

export function taskReadRoutes(_app: FastifyInstance, _ctx: AppContext) {}

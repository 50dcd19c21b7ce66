// POST /v3/apps/:guid/tasks, cancel (POST actions/cancel and PUT cancel), PATCH /v3/tasks/:guid.
import type { FastifyInstance } from 'fastify';
import type { AppContext } from '../../../context.js';

export function taskWriteRoutes(_app: FastifyInstance, _ctx: AppContext) {}

// Placeholder: routes are added by the work on this resource.
import type { FastifyInstance } from 'fastify';
import type { AppContext } from '../../../context.js';

export function appRoutes(_app: FastifyInstance, _ctx: AppContext) {}

// GET /v3/audit_events, GET /v3/audit_events/:guid.
import type { FastifyInstance } from 'fastify';
import type { AppContext } from '../../../context.js';

export function auditEventRoutes(_app: FastifyInstance, _ctx: AppContext) {}

// The vSphere Automation CIS tasks dialect (specs/dialects.md §2, §5). PLACEHOLDER: being written.
import type { FastifyPluginAsync } from 'fastify';
import type { AppContext } from '../../context.js';

/** Registered twice: under `/rest` (value-wrapped) and under `/api` (bare values). */
export const vsphereRestPlugin: FastifyPluginAsync<{ ctx: AppContext }> = async () => {};
export const vsphereApiPlugin: FastifyPluginAsync<{ ctx: AppContext }> = async () => {};

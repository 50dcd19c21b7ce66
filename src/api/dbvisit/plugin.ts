// The Dbvisit StandbyMP task dialect (specs/dialects.md §3, §5). PLACEHOLDER: being written.
import type { FastifyPluginAsync } from 'fastify';
import type { AppContext } from '../../context.js';

/** Registered under the prefix `/task`. */
export const dbvisitPlugin: FastifyPluginAsync<{ ctx: AppContext }> = async () => {};

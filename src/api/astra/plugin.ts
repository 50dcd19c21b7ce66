// The NetApp Astra Control tasks dialect (specs/dialects.md §1, §5). PLACEHOLDER: being written.
import type { FastifyPluginAsync } from 'fastify';
import type { AppContext } from '../../context.js';

/** Registered under the prefix `/accounts`. */
export const astraPlugin: FastifyPluginAsync<{ ctx: AppContext }> = async () => {};

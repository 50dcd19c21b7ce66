// GET /v3/info: CF's platform information, open to anyone as CF's is, with a taskd block saying
// how this node enforces task limits and which sandbox tasks run in (spec §11 extensions) — weaker
// mechanisms, and running unsandboxed, are reported, not hidden.
import type { AppContext } from '../../../context.js';
import type { TypedApp } from '../../typed-app.js';
import { dropletView, limitMechanisms } from '../../../runner/limits/mechanisms.js';
import { sandboxInForce, taskNetworkInForce } from '../../../runner/sandbox/detect.js';
import { describeTaskUser } from '../../../runner/task-user.js';
import { baseUrl } from '../request.js';

export function infoRoutes(app: TypedApp, ctx: AppContext) {
  // The same decision the runner makes (the probe runs once per process).
  const sandbox = sandboxInForce(ctx.config.sandbox);
  const taskNetwork = taskNetworkInForce(ctx.config, sandbox);
  const taskUser = describeTaskUser(ctx.config, sandbox.kind === 'bwrap');
  app.get('/v3/info', { config: { public: true } }, async (request) => ({
    build: '',
    cli_version: { minimum: '', recommended: '' },
    custom: {},
    description: 'taskd: a self-hosted task service',
    name: 'taskd',
    version: 0,
    osbapi_version: '',
    links: {
      self: { href: `${baseUrl(ctx, request)}/v3/info` },
      support: null,
    },
    taskd: {
      limits: await limitMechanisms(ctx.config),
      droplet_view: await dropletView(),
      sandbox: sandbox.kind,
      sandbox_reason: sandbox.reason,
      task_network: taskNetwork,
      task_user: taskUser,
    },
  }));
}

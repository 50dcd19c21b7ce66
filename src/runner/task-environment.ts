// A task's environment, built from nothing: a fixed safe base, the app's environment variables,
// and what CF gives every task. Nothing of taskd's own environment (database URL, admin
// password, keys) may ever reach a task, so process.env is never read here.
import type { ClaimedTask } from '../store/tasks/launch-context.js';
import { FILE_DESCRIPTOR_LIMIT } from '../core/instance-limits.js';
import { projectFile } from '../project-files.js';
import { HELPER_DIR } from './sandbox/bwrap-args.mjs';

/** Where a sandboxed task lives (sandbox/bwrap-args.mjs): CF's paths, and a private /tmp. */
const SANDBOX_HOME = '/home/vcap';
const SANDBOX_TMP = '/tmp';

/**
 * First on PATH: taskd's helper (`taskd progress`, `taskd message`), before any other `taskd` the
 * system may have. In the sandbox it is shown at HELPER_DIR; outside, the project's own folder of it.
 */
const SYSTEM_PATH = '/usr/local/bin:/usr/bin:/bin';
const pathOf = (sandboxed: boolean) => `${sandboxed ? HELPER_DIR : projectFile('src', 'runner', 'task-helper')}:${SYSTEM_PATH}`;

const BASE: Readonly<Record<string, string>> = {
  LANG: 'C.UTF-8',
};

/**
 * `workingDir` is the task's directory as the task sees it; `sandboxed`: it runs in bubblewrap,
 * with its own HOME and /tmp (outside, both are its working directory, the only place it owns).
 * `taskToken` is the task's own bearer token: with TASKD_API and TASKD_TASK_GUID the task reports
 * its progress and messages and creates its subtasks (nothing else; see the CF plugin).
 */
export function taskEnvironment(
  task: ClaimedTask,
  workingDir: string,
  apiUrl: string | undefined,
  taskToken?: string,
  sandboxed = false,
): Record<string, string> {
  const vcapApplication = {
    application_id: task.appGuid,
    application_name: task.appName,
    application_uris: [],
    application_version: task.droplet_guid,
    cf_api: apiUrl,
    limits: { disk: task.disk_in_mb, fds: FILE_DESCRIPTOR_LIMIT, mem: task.memory_in_mb },
    name: task.appName,
    organization_id: task.organizationGuid,
    organization_name: task.organizationName,
    space_id: task.spaceGuid,
    space_name: task.spaceName,
    uris: [],
    users: null,
    version: task.droplet_guid,
  };
  return {
    ...BASE,
    PATH: pathOf(sandboxed),
    HOME: sandboxed ? SANDBOX_HOME : workingDir,
    // Unsandboxed, its directory may be a link to a filesystem of its own: the shell's `pwd`
    // names the task's directory, not where that filesystem is mounted (bwrap sets its own).
    ...(sandboxed ? {} : { PWD: workingDir }),
    TMPDIR: sandboxed ? SANDBOX_TMP : workingDir,
    MEMORY_LIMIT: `${task.memory_in_mb}m`,
    ...appVariables(task.environmentVariables),
    // Set last: an app variable cannot pose as the task's identity.
    TASKD_TASK_GUID: task.guid,
    TASKD_TASK_NAME: task.name,
    ...(apiUrl ? { TASKD_API: apiUrl } : {}),
    ...(taskToken ? { TASKD_TASK_TOKEN: taskToken } : {}),
    VCAP_APPLICATION: JSON.stringify(vcapApplication),
  };
}

function appVariables(json: string): Record<string, string> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(json);
  } catch {
    return {};
  }
  if (typeof parsed !== 'object' || parsed === null) return {};
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(parsed)) {
    // A NUL cannot be passed through execve; such a variable is left out rather than failing.
    const text = typeof value === 'string' ? value : JSON.stringify(value);
    if (!key.includes('\0') && !key.includes('=') && !text.includes('\0')) out[key] = text;
  }
  return out;
}

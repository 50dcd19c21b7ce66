// What `taskd serve` says about the admin user once it serves: made, reset or kept, and which
// password logs in. Never the password itself: whatever collects stdout (journald, docker logs)
// would keep it; a generated one is in a file readable by taskd's user alone.
import type { AdminAtStart } from '../actions/admin-at-start.js';

export interface AdminLines {
  /** To stdout. */
  info: string[];
  /** To stderr: what the operator asked for and did not get. */
  warnings: string[];
}

/** `source`: where the operator's password came from (TASKD_ADMIN_PASSWORD or its file), if they set one. */
export function adminAtStartLines(admin: AdminAtStart, source: string | undefined): AdminLines {
  const info: string[] = [];
  const warnings: string[] = [];
  if (admin.outcome === 'created') {
    if (admin.passwordFile) {
      info.push(`First start: created user 'admin'; its password is in ${admin.passwordFile} (readable by this user only)`);
      info.push(
        'Change it after logging in (taskd passwd); set TASKD_ADMIN_PASSWORD or TASKD_ADMIN_PASSWORD_FILE to choose it on a fresh data directory.',
      );
    } else info.push(`First start: created user 'admin' with the password of ${source}`);
  } else if (admin.outcome === 'reset') {
    const now = admin.passwordFile ? `a new password, in ${admin.passwordFile} (readable by this user only)` : `the password of ${source}`;
    info.push(`Reset user 'admin' to ${now} (--reset-admin-password); its earlier sessions have ended.`);
    info.push("Start without --reset-admin-password from now on: each start with it resets admin's password again.");
  } else if (source) {
    warnings.push(
      `taskd: ${source} is ignored: user 'admin' exists already and keeps its password (${source} sets the password of the admin made on first start only). ` +
        'To make it the password of admin, start once with --reset-admin-password (npm start -- --reset-admin-password).',
    );
  }
  return { info, warnings };
}

/** How to log in, with the generated password's file when that password still logs in. */
export function logInLine(url: string, passwordFile: string | undefined): string {
  const login = passwordFile ? `taskd login -a ${url} -u admin --password-stdin < ${passwordFile}` : `taskd login -a ${url} -u admin`;
  return `Log in: ${login} (or POST ${url}/oauth/token with grant_type=password)`;
}

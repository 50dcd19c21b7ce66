// Token scopes: every user holds read and write; the global ones stand in for UAA groups.
/** OpenID Connect's: UAA's cf client asks for it, and /userinfo requires it. */
export const SCOPE_OPENID = 'openid';
export const SCOPE_READ = 'cloud_controller.read';
export const SCOPE_WRITE = 'cloud_controller.write';
export const SCOPE_ADMIN = 'cloud_controller.admin';
export const SCOPE_ADMIN_READ_ONLY = 'cloud_controller.admin_read_only';
export const SCOPE_GLOBAL_AUDITOR = 'cloud_controller.global_auditor';

export const GLOBAL_SCOPES = [SCOPE_ADMIN, SCOPE_ADMIN_READ_ONLY, SCOPE_GLOBAL_AUDITOR] as const;

export const tokenScopes = (extra: readonly string[]): string[] => [SCOPE_OPENID, SCOPE_READ, SCOPE_WRITE, ...extra];

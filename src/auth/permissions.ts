// "May user U do V in space S": CF's role matrix (spec §8) as a pure service over the caller's
// token scopes and roles. Fetchers use `readableSpaces`/`readableOrgs` to scope SQL; actions use
// the predicates.
import { SCOPE_ADMIN, SCOPE_ADMIN_READ_ONLY, SCOPE_GLOBAL_AUDITOR, SCOPE_READ, SCOPE_WRITE } from './scopes.js';

export const ORG_ROLE_TYPES = [
  'organization_user',
  'organization_auditor',
  'organization_manager',
  'organization_billing_manager',
] as const;
export const SPACE_ROLE_TYPES = ['space_developer', 'space_manager', 'space_auditor', 'space_supporter'] as const;
export const ROLE_TYPES = [...ORG_ROLE_TYPES, ...SPACE_ROLE_TYPES] as const;
export type RoleType = (typeof ROLE_TYPES)[number];

export interface RoleGrant {
  type: RoleType;
  organizationId: number | null;
  spaceId: number | null;
}

/** Where a resource lives, for permission checks. */
export interface SpaceRef {
  spaceId: number;
  organizationId: number;
}

/** Which spaces or organizations a caller may read: all, or these ids. */
export type Scope = { all: true } | { all: false; spaceIds: number[]; organizationIds: number[] };

/** The task whose own token made the request (see identify). */
export interface OwnTask {
  id: number;
  guid: string;
  appGuid: string;
  state: string;
}

export class Permissions {
  private readonly scopes: Set<string>;

  constructor(
    readonly userId: number,
    readonly userGuid: string,
    scopes: readonly string[],
    readonly roles: readonly RoleGrant[],
    /**
     * Set when the caller is a running task using its own token: it then acts as its creator
     * (these permissions), but only on the few routes the CF plugin opens to a task token.
     */
    readonly ownTask?: OwnTask,
  ) {
    this.scopes = new Set(scopes);
  }

  /** Whether the token carries this scope (what UAA's own endpoints check). */
  hasScope(scope: string): boolean {
    return this.scopes.has(scope);
  }

  get isAdmin(): boolean {
    return this.scopes.has(SCOPE_ADMIN);
  }

  get isAdminReadOnly(): boolean {
    return this.scopes.has(SCOPE_ADMIN_READ_ONLY);
  }

  get isGlobalAuditor(): boolean {
    return this.scopes.has(SCOPE_GLOBAL_AUDITOR);
  }

  /** admin, admin_read_only and global_auditor read everything. */
  get readsGlobally(): boolean {
    return this.isAdmin || this.isAdminReadOnly || this.isGlobalAuditor;
  }

  /** The token-scope gate in front of every endpoint. */
  mayRead(): boolean {
    return this.scopes.has(SCOPE_READ) || this.readsGlobally;
  }

  mayWrite(): boolean {
    return this.scopes.has(SCOPE_WRITE) || this.isAdmin;
  }

  private hasSpaceRole(spaceId: number, types: readonly RoleType[]): boolean {
    return this.roles.some((r) => r.spaceId === spaceId && types.includes(r.type));
  }

  hasOrgRole(organizationId: number, types: readonly RoleType[] = ORG_ROLE_TYPES): boolean {
    return this.roles.some((r) => r.organizationId === organizationId && r.spaceId === null && types.includes(r.type));
  }

  isOrgManager(organizationId: number): boolean {
    return this.hasOrgRole(organizationId, ['organization_manager']);
  }

  canReadSpace(where: SpaceRef): boolean {
    return this.readsGlobally || this.isOrgManager(where.organizationId) || this.hasSpaceRole(where.spaceId, SPACE_ROLE_TYPES);
  }

  canReadSecrets(where: SpaceRef): boolean {
    return this.isAdmin || this.isAdminReadOnly || this.hasSpaceRole(where.spaceId, ['space_developer']);
  }

  /**
   * An app's own environment variables: those who read secrets, and space supporters, who manage
   * apps (CF's ROLES_FOR_APP_ENVIRONMENT_VARIABLES_READING, since CC #2388).
   */
  canReadAppEnvironment(where: SpaceRef): boolean {
    return this.canReadSecrets(where) || this.hasSpaceRole(where.spaceId, ['space_supporter']);
  }

  canWriteSpace(where: SpaceRef): boolean {
    return this.isAdmin || this.hasSpaceRole(where.spaceId, ['space_developer']);
  }

  canManageApps(where: SpaceRef): boolean {
    return this.isAdmin || this.hasSpaceRole(where.spaceId, ['space_developer', 'space_supporter']);
  }

  /** Space managers manage their space's roles; org managers manage the org's. */
  canManageSpaceRoles(where: SpaceRef): boolean {
    return this.isAdmin || this.isOrgManager(where.organizationId) || this.hasSpaceRole(where.spaceId, ['space_manager']);
  }

  canReadOrg(organizationId: number): boolean {
    return (
      this.readsGlobally ||
      this.hasOrgRole(organizationId) ||
      this.roles.some((r) => r.organizationId === organizationId && r.spaceId !== null)
    );
  }

  canWriteOrg(organizationId: number): boolean {
    return this.isAdmin || this.isOrgManager(organizationId);
  }

  /** Spaces whose contents (apps, droplets, tasks, …) the caller may read. */
  readableSpaces(): Scope {
    if (this.readsGlobally) return { all: true };
    return {
      all: false,
      spaceIds: unique(this.roles.filter((r) => r.spaceId !== null).map((r) => r.spaceId!)),
      organizationIds: unique(
        this.roles.filter((r) => r.spaceId === null && r.type === 'organization_manager').map((r) => r.organizationId!),
      ),
    };
  }

  /** Organizations the caller may see: any role in the org or in one of its spaces. */
  readableOrgs(): Scope {
    if (this.readsGlobally) return { all: true };
    return { all: false, spaceIds: [], organizationIds: unique(this.roles.map((r) => r.organizationId!).filter((id) => id !== null)) };
  }
}

const unique = (ids: number[]) => [...new Set(ids)];

// Writes inside a suspended organization are refused to everyone but admins (spec §8), and
// nothing may be written into an organization or space that is being deleted.
import type { Permissions } from '../auth/permissions.js';
import { ApiError } from '../core/errors.js';

export interface OrgState {
  suspended: number;
  status: string;
}

export function assertWritable(actor: Permissions, org: OrgState, space?: { status: string }): void {
  if (org.suspended === 1 && !actor.isAdmin) throw new ApiError('OrgSuspended');
  if (org.status === 'deleting') throw new ApiError('ResourceBeingDeleted', 'organization');
  if (space?.status === 'deleting') throw new ApiError('ResourceBeingDeleted', 'space');
}

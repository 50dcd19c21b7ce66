// com.vmware.cis.session.Info: who the session is and when it was made and last used.
import type { VsphereSession } from '../../../actions/vsphere-sessions.js';

export function presentSessionInfo(session: VsphereSession) {
  return { user: session.username, created_time: session.createdAt, last_accessed_time: session.lastAccessedAt };
}

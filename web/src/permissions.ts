// Whether the signed-in user may cancel, pause or resume a space's tasks: admins, and space
// developers of that space (as the API decides; the buttons only mirror it).
import { getJson, type Page } from './api.js';
import { currentClaims, isAdmin } from './session.js';

const answers = new Map<string, Promise<boolean>>();

export function mayControlTasksIn(spaceGuid: string): Promise<boolean> {
  const claims = currentClaims();
  if (!claims) return Promise.resolve(false);
  if (isAdmin(claims)) return Promise.resolve(true);
  const key = `${claims.userGuid}/${spaceGuid}`;
  let answer = answers.get(key);
  if (!answer) {
    answer = getJson<Page<unknown>>(`/v3/roles?user_guids=${claims.userGuid}&types=space_developer&space_guids=${spaceGuid}`).then(
      (page) => page.pagination.total_results > 0,
    );
    answers.set(key, answer);
    answer.catch(() => answers.delete(key));
  }
  return answer;
}

/** A new sign-in may be someone else. */
export function forgetPermissions(): void {
  answers.clear();
}

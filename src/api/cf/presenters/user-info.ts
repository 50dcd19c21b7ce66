// GET /userinfo as UAA answers it (UserInfoEndpoint, UserInfoResponse): its fields in UAA's order,
// both user_id and sub, null for what taskd does not know of a user (names, phone, last logon).
// The email is the username, as for the users Cloud Controller makes in UAA (cf create-user);
// taskd checks no email addresses, so none is verified.
import type { UserRow } from '../../../store/schema.js';

export function presentUserInfo(user: UserRow) {
  return {
    user_id: user.guid,
    sub: user.guid,
    user_name: user.username,
    given_name: null,
    family_name: null,
    email: user.username,
    email_verified: false,
    phone_number: null,
    previous_logon_time: null,
    name: '',
  };
}

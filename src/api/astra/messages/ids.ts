// Astra identifiers in the path (specs/dialects.md §1.1, §5): UUIDs. A malformed account is
// problem 33, a malformed task id problem 35.
import { AstraProblem } from '../problems.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** taskd stores guids in lower case; Astra clients may send either. */
function uuid(value: unknown, problem: 33 | 35): string {
  if (typeof value !== 'string' || !UUID.test(value)) throw new AstraProblem(problem);
  return value.toLowerCase();
}

export const parseAccountId = (value: unknown) => uuid(value, 33);
export const parseTaskId = (value: unknown) => uuid(value, 35);

// The two wire forms of one API (specs/dialects.md §2.5, §2.6): /rest wraps every answer in
// {"value": ...}, writes maps as [{key, value}] pairs and answers voids 200 with no body; /api
// sends bare values, maps as objects, voids as 204. Errors differ in envelope and, for privilege
// failures, in status.
import { VSPHERE_ERROR_STATUS, type VsphereError } from './errors.js';

export interface LocalizableMessage {
  id: string;
  default_message: string;
  args: string[];
}

export interface Wire {
  readonly name: 'rest' | 'api';
  /** The body of a successful answer carrying a result. */
  value(result: unknown): unknown;
  /** A map (task id -> info, label key -> value) in this wire's form. */
  map(entries: readonly (readonly [string, unknown])[]): unknown;
  /** Status of an operation without result (cancel, session delete). */
  readonly voidStatus: 200 | 204;
  /** Status of session create. */
  readonly createdStatus: 200 | 201;
  /** An error of this standard type (snake_case) as an answer; also the shape of a task's `error`. */
  errorBody(type: string, messages: LocalizableMessage[]): unknown;
  errorStatus(error: VsphereError): number;
}

export function messageOf(error: VsphereError): LocalizableMessage {
  return { id: error.messageId, default_message: error.message, args: [...error.args] };
}

export const restWire: Wire = {
  name: 'rest',
  value: (result) => ({ value: result }),
  map: (entries) => entries.map(([key, value]) => ({ key, value })),
  voidStatus: 200,
  createdStatus: 200,
  errorBody: (type, messages) => ({ type: `com.vmware.vapi.std.errors.${type}`, value: { messages } }),
  // The /rest API reports a missing privilege as 401 `unauthorized` (§5).
  errorStatus: (error) => error.statusOverride ?? (error.type === 'unauthorized' ? 401 : VSPHERE_ERROR_STATUS[error.type]),
};

export const apiWire: Wire = {
  name: 'api',
  value: (result) => result,
  map: (entries) => Object.fromEntries(entries),
  voidStatus: 204,
  createdStatus: 201,
  errorBody: (type, messages) => ({ error_type: type.toUpperCase(), messages }),
  errorStatus: (error) => error.statusOverride ?? VSPHERE_ERROR_STATUS[error.type],
};

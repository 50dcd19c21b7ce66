// The `metadata` part of create and update bodies (spec §4.1): validation with CF's messages, and
// the parsed change — each key with its new value, or null to delete it.
import { jsonForMessage } from './json-for-message.js';
import { annotationValueError, labelValueError, parseMetadataKey, type MetadataKey } from './labels.js';

export interface MetadataEntry {
  key: MetadataKey;
  /** null deletes the key (PATCH semantics). */
  value: string | null;
}

export interface MetadataChange {
  labels: MetadataEntry[];
  annotations: MetadataEntry[];
}

/** Cloud Controller's defaults of max_labels_per_resource and max_annotations_per_resource. */
export const MAX_LABELS = 50;
export const MAX_ANNOTATIONS = 200;
/**
 * taskd's own bound on one resource's annotations together (keys and values, in characters).
 * CF's limits alone let a resource hold 200 values of 5,000 characters (0.95 MB), and every task
 * carries metadata: this keeps a resource's annotations to what they are for, notes and ids.
 */
export const MAX_ANNOTATION_CHARACTERS = 65_536;

/** The refusal when a change would take a resource's annotations beyond MAX_ANNOTATION_CHARACTERS. */
export const annotationsTooLarge = (count: number) =>
  `Failed to add ${count} annotations because it would exceed maximum total size of ${MAX_ANNOTATION_CHARACTERS} characters`;

export const emptyMetadataChange = (): MetadataChange => ({ labels: [], annotations: [] });

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Validates `metadata`; pushes CF messages onto `errors` and returns what it could parse. */
export function parseMetadata(raw: unknown, errors: string[]): MetadataChange {
  const change = emptyMetadataChange();
  if (raw === undefined || raw === null) return change;
  if (!isObject(raw)) {
    errors.push('Metadata must be an object');
    return change;
  }
  const unexpected = Object.keys(raw).filter((k) => k !== 'labels' && k !== 'annotations');
  if (unexpected.length) errors.push(`Metadata has unexpected field(s): ${unexpected.map((k) => `'${k}'`).join(', ')}`);

  if (raw.labels !== undefined && raw.labels !== null) {
    if (!isObject(raw.labels)) errors.push("Metadata 'labels' is not an object");
    else
      for (const [k, v] of Object.entries(raw.labels)) {
        const parsed = parseMetadataKey(k);
        if ('error' in parsed) {
          errors.push(`Metadata label key error: ${parsed.error}`);
          continue;
        }
        if (v !== null && typeof v !== 'string') {
          errors.push(`Metadata label value error: '${jsonForMessage(v)}' contains invalid characters`);
          continue;
        }
        const valueError = v === null ? undefined : labelValueError(v);
        if (valueError) errors.push(`Metadata label value error: ${valueError}`);
        else change.labels.push({ key: parsed.key, value: v });
      }
  }

  if (raw.annotations !== undefined && raw.annotations !== null) {
    if (!isObject(raw.annotations)) errors.push("Metadata 'annotations' is not an object");
    else
      for (const [k, v] of Object.entries(raw.annotations)) {
        if (v !== null && typeof v !== 'string') {
          errors.push(`Metadata annotation value error: '${jsonForMessage(v)}' must be a string`);
          continue;
        }
        const parsed = parseMetadataKey(k);
        // CF reports annotation key problems only for non-empty values (spec §4.1 quirk); a key
        // that cannot be stored is still refused when deleting it, so nothing bad is written.
        if ('error' in parsed) {
          if (v) errors.push(`Metadata annotation key error: ${parsed.error}`);
          continue;
        }
        const valueError = v === null ? undefined : annotationValueError(v);
        if (valueError) errors.push(`Metadata annotation value error: ${valueError}`);
        else change.annotations.push({ key: parsed.key, value: v });
      }
  }
  return change;
}

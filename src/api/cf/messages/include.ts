// CF's `include=` parameter, as its IncludeParamValidator checks it: each value one of the
// resource's own, each at most once.

/** The validator's messages for these values (none: valid). */
export function includeErrors(values: readonly string[], valid: readonly string[]): string[] {
  const errors: string[] = [];
  const seen = new Map<string, number>();
  for (const v of values) {
    if (!valid.includes(v)) {
      errors.push(`Invalid included resource: '${v}'. Valid included resources are: ${valid.map((k) => `'${k}'`).join(', ')}`);
      continue;
    }
    seen.set(v, (seen.get(v) ?? 0) + 1);
    if (seen.get(v) === 2) errors.push(`Duplicate included resource: '${v}'`);
  }
  return errors;
}

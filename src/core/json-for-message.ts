// A rejected JSON value, written back into an error message as CF does. A value nested deeper
// than JSON.stringify can go (it recurses; a body nested 100,000 deep is valid JSON) is shown as
// an elided array or object instead of overflowing the call stack into a 500.
export function jsonForMessage(value: unknown): string {
  try {
    return JSON.stringify(value) ?? String(value);
  } catch (err) {
    if (!(err instanceof RangeError)) throw err;
    return Array.isArray(value) ? '[…]' : '{…}';
  }
}

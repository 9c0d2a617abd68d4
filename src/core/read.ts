/**
 * Reads `value[key]` from anything a caller might throw, never throwing: errors handed to
 * bulwark come from anywhere, and a hostile getter must not turn error handling into a crash.
 */
export function readProp(value: unknown, key: string): unknown {
  if (typeof value !== 'object' || value === null) return undefined;
  try {
    return (value as Record<string, unknown>)[key];
  } catch {
    return undefined;
  }
}

const BYTE_ORDER_MARK = 0xfeff;

/**
 * The JSON object `text` holds, or `undefined` when it is not JSON or not an object (an array,
 * a string, `null`...). A leading byte-order mark is dropped first, as jose's `TextDecoder`
 * drops it, so that a JWS segment reads here as it read in 0.1.
 * @internal
 */
export function parseJsonObject(text: string): Record<string, unknown> | undefined {
  let value: unknown;
  try {
    value = JSON.parse(text.charCodeAt(0) === BYTE_ORDER_MARK ? text.slice(1) : text);
  } catch {
    return undefined;
  }
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
}

/**
 * Bytes V8 spends on parsed JSON, per kind of value, on a 64-bit build without pointer
 * compression (Node's default). Rounded up from measurements of `JSON.parse` output held
 * in memory (docs/security.md, "Bounded memory"): an estimate must not undercount, or a
 * flood of deep or wide claims slips past `cache.maxBytes`.
 */
const OBJECT_BYTES = 32;
/** `{}` from `JSON.parse` keeps room for four properties. */
const EMPTY_OBJECT_BYTES = 56;
/** A property held in the object itself, and one of an object V8 keeps as a dictionary. */
const FAST_PROPERTY_BYTES = 16;
const DICTIONARY_PROPERTY_BYTES = 72;
/** Past about this many properties, parsed objects are dictionaries (rounded down). */
const FAST_PROPERTIES = 64;
const ARRAY_BYTES = 56;
const ELEMENT_BYTES = 8;
const STRING_BYTES = 24;
const NUMBER_BYTES = 16;
const MARGIN = 1.05;

/** Whether every character fits in one byte (V8 then stores one byte per character). */
const ONE_BYTE = /^[\u0000-\u00ff]*$/;
/**
 * Strings up to this long are counted at two bytes a character without looking: at most this
 * many bytes too many, where a test of each short name and value (most of a token's) cost more
 * than the rest of the estimate.
 */
const UNTESTED_LENGTH = 32;

function stringBytes(text: string): number {
  return STRING_BYTES + (text.length > UNTESTED_LENGTH && ONE_BYTE.test(text) ? text.length : text.length * 2);
}

/**
 * An estimate, from above, of the heap that the JSON value `root` holds (objects, arrays,
 * strings, numbers and property names). Walks with its own stack: claims nested thousands
 * of levels deep must not overflow the call stack.
 * @internal
 */
export function estimateHeapBytes(root: unknown): number {
  let bytes = 0;
  const pending: unknown[] = [root];
  while (pending.length !== 0) {
    const value = pending.pop();
    if (typeof value === 'string') {
      bytes += stringBytes(value);
    } else if (typeof value === 'number') {
      bytes += Number.isInteger(value) && Math.abs(value) < 2 ** 31 ? 0 : NUMBER_BYTES;
    } else if (Array.isArray(value)) {
      bytes += ARRAY_BYTES + ELEMENT_BYTES * value.length;
      for (const element of value as unknown[]) pending.push(element);
    } else if (typeof value === 'object' && value !== null) {
      let properties = 0;
      for (const name in value) {
        if (!Object.hasOwn(value, name)) continue;
        properties += 1;
        bytes += stringBytes(name);
        pending.push((value as Record<string, unknown>)[name]);
      }
      const perProperty = properties > FAST_PROPERTIES ? DICTIONARY_PROPERTY_BYTES : FAST_PROPERTY_BYTES;
      bytes += properties === 0 ? EMPTY_OBJECT_BYTES : OBJECT_BYTES + properties * perProperty;
    }
  }
  // Alignment and allocation slack the per-kind figures leave out.
  return Math.ceil(bytes * MARGIN);
}

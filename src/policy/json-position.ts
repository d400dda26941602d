type Path = readonly PropertyKey[];

/**
 * The line (from 1) where the value at `path` starts in valid JSON `text`; for a path that
 * ends at a missing key, the line of the nearest enclosing value. JSON.parse gives values
 * without positions, and problems are found after parsing, on the values.
 * @internal
 */
export function lineOfJsonPath(text: string, path: Path): number {
  let index = skipSpace(text, 0);
  for (const segment of path) {
    const found = typeof segment === 'number' ? elementAt(text, index, segment) : memberAt(text, index, String(segment));
    if (found === undefined) break;
    index = found;
  }
  let line = 1;
  for (let at = 0; at < index; at += 1) if (text.charCodeAt(at) === 10) line += 1;
  return line;
}

/** Where the value of `key` starts in the object at `start`. */
function memberAt(text: string, start: number, key: string): number | undefined {
  if (text[start] !== '{') return undefined;
  let index = skipSpace(text, start + 1);
  while (text[index] === '"') {
    const keyEnd = skipValue(text, index);
    const name = JSON.parse(text.slice(index, keyEnd)) as string;
    const value = skipSpace(text, skipSpace(text, keyEnd) + 1);
    if (name === key) return value;
    index = skipSpace(text, skipValue(text, value));
    if (text[index] !== ',') return undefined;
    index = skipSpace(text, index + 1);
  }
  return undefined;
}

/** Where element `wanted` starts in the array at `start`. */
function elementAt(text: string, start: number, wanted: number): number | undefined {
  if (text[start] !== '[') return undefined;
  let index = skipSpace(text, start + 1);
  for (let element = 0; index < text.length && text[index] !== ']'; element += 1) {
    if (element === wanted) return index;
    index = skipSpace(text, skipValue(text, index));
    if (text[index] !== ',') return undefined;
    index = skipSpace(text, index + 1);
  }
  return undefined;
}

/** The index just past the value at `start`. */
function skipValue(text: string, start: number): number {
  let depth = 0;
  let index = start;
  do {
    const char = text[index];
    if (char === '"') {
      index += 1;
      while (index < text.length && text[index] !== '"') index += text[index] === '\\' ? 2 : 1;
    } else if (char === '{' || char === '[') {
      depth += 1;
    } else if (char === '}' || char === ']') {
      depth -= 1;
    } else if (depth === 0) {
      while (index + 1 < text.length && !/[\s,\]}]/.test(text[index + 1] ?? '')) index += 1;
    }
    index += 1;
  } while (depth > 0 && index < text.length);
  return index;
}

function skipSpace(text: string, start: number): number {
  let index = start;
  while (index < text.length && /\s/.test(text[index] ?? '')) index += 1;
  return index;
}

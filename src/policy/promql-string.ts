const SIMPLE_ESCAPES: Readonly<Record<string, number>> = { a: 7, b: 8, f: 12, n: 10, r: 13, t: 9, v: 11, '\\': 92 };
const utf8 = new TextDecoder('utf-8', { fatal: true });
const encoder = new TextEncoder();

/**
 * The value of a PromQL string literal (`"..."`, `'...'` or a raw `` `...` ``), unquoted by
 * Go's rules, which Prometheus follows: `\a \b \f \n \r \t \v \\`, the quote itself, `\xHH` and
 * `\OOO` bytes, `\uHHHH` and `\UHHHHHHHH` code points. The bytes must form UTF-8.
 * @internal
 */
export function readPromqlString(literal: string): { value: string } | { problem: string } {
  const quote = literal[0];
  if (literal.length < 2 || literal[literal.length - 1] !== quote) return { problem: 'has an unterminated string' };
  const body = literal.slice(1, -1);
  if (quote === '`') return { value: body };
  if (quote !== '"' && quote !== "'") return { problem: 'has a string without quotes' };
  const bytes: number[] = [];
  for (let index = 0; index < body.length; ) {
    const char = body[index] as string;
    if (char === '\n') return { problem: 'has a line break inside a string' };
    if (char !== '\\') {
      const code = body.codePointAt(index) ?? 0;
      const text = String.fromCodePoint(code);
      bytes.push(...encoder.encode(text));
      index += text.length;
      continue;
    }
    const escape = body[index + 1] ?? '';
    const simple = SIMPLE_ESCAPES[escape];
    if (simple !== undefined || escape === quote) {
      bytes.push(simple ?? quote.charCodeAt(0));
      index += 2;
    } else if (escape === 'x' || /^[0-7]$/.test(escape)) {
      const digits = escape === 'x' ? body.slice(index + 2, index + 4) : body.slice(index + 1, index + 4);
      const value = escape === 'x' ? hexValue(digits, 2) : /^[0-7]{3}$/.test(digits) ? Number.parseInt(digits, 8) : NaN;
      if (Number.isNaN(value) || value > 255) return { problem: `has an invalid escape \\${escape}${digits.slice(escape === 'x' ? 0 : 1)}` };
      bytes.push(value);
      index += 4;
    } else if (escape === 'u' || escape === 'U') {
      const length = escape === 'u' ? 4 : 8;
      const value = hexValue(body.slice(index + 2, index + 2 + length), length);
      if (Number.isNaN(value) || value > 0x10ffff || (value >= 0xd800 && value <= 0xdfff)) {
        return { problem: `has an invalid escape \\${escape}${body.slice(index + 2, index + 2 + length)}` };
      }
      bytes.push(...encoder.encode(String.fromCodePoint(value)));
      index += 2 + length;
    } else {
      return { problem: `has an invalid escape \\${escape}` };
    }
  }
  try {
    return { value: utf8.decode(new Uint8Array(bytes)) };
  } catch {
    return { problem: 'has a string that is not valid UTF-8' };
  }
}

function hexValue(digits: string, length: number): number {
  return digits.length === length && /^[0-9a-fA-F]+$/.test(digits) ? Number.parseInt(digits, 16) : NaN;
}

// PromQL string literals, read and written the way Prometheus (Go) does, for the label
// enforcement of the gateway. Policy selectors are decoded to their values so that equal
// selectors written differently count once and can be joined into one regex; the values
// are written back in one canonical double-quoted form.

const SIMPLE_ESCAPES = { a: 7, b: 8, f: 12, n: 10, r: 13, t: 9, v: 11, '\\': 92 };
const ESCAPE = /\\(?:x[0-9a-fA-F]{2}|[0-7]{3}|u[0-9a-fA-F]{4}|U[0-9a-fA-F]{8}|[abfnrtv\\'"])|\\|[^\\]+/g;
const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * The value of a PromQL string literal (`"..."`, `'...'` or a raw `` `...` ``), or
 * undefined when Go would not accept it or its bytes are not UTF-8: a value this gateway
 * cannot be sure to read as Prometheus does is not used.
 *
 * @param {string} literal the literal's source text, quotes included
 * @returns {string | undefined}
 */
export function parseLiteral(literal) {
  const quote = literal[0];
  if (literal.length < 2 || literal.at(-1) !== quote) return undefined;
  const body = literal.slice(1, -1);
  if (quote === '`') return body.includes('`') || body.includes('\r') ? undefined : body;
  if (quote !== '"' && quote !== "'") return undefined;
  /** @type {Buffer[]} */
  const parts = [];
  for (const [piece] of body.matchAll(ESCAPE)) {
    const bytes = bytesOf(piece, quote);
    if (bytes === undefined) return undefined;
    parts.push(bytes);
  }
  try {
    return strictUtf8.decode(Buffer.concat(parts));
  } catch {
    return undefined;
  }
}

/**
 * @param {string} piece an escape sequence or a run of plain characters
 * @param {string} quote
 * @returns {Buffer | undefined}
 */
function bytesOf(piece, quote) {
  if (!piece.startsWith('\\')) {
    return piece.includes(quote) || piece.includes('\n') ? undefined : Buffer.from(piece, 'utf8');
  }
  const kind = piece.slice(1, 2);
  const digits = piece.slice(2);
  if (kind === 'x') return Buffer.from([Number.parseInt(digits, 16)]);
  if (kind === 'u' || kind === 'U') {
    const codePoint = Number.parseInt(digits, 16);
    const surrogate = codePoint >= 0xd800 && codePoint <= 0xdfff;
    return surrogate || codePoint > 0x10ffff ? undefined : Buffer.from(String.fromCodePoint(codePoint), 'utf8');
  }
  if (/^[0-7]$/.test(kind)) {
    const value = Number.parseInt(piece.slice(1), 8);
    return value > 255 ? undefined : Buffer.from([value]);
  }
  // Go accepts an escaped quote only inside the same kind of quotes.
  if (kind === '"' || kind === "'") return kind === quote ? Buffer.from(kind) : undefined;
  const simple = SIMPLE_ESCAPES[/** @type {keyof typeof SIMPLE_ESCAPES} */ (kind)];
  return simple === undefined ? undefined : Buffer.from([simple]);
}

/**
 * A double-quoted PromQL literal of `value`. JSON's escapes (`\"`, `\\`, `\n`, `\u0001`...)
 * are all valid in PromQL's double-quoted strings.
 *
 * @param {string} value
 */
export function promqlString(value) {
  return JSON.stringify(value);
}

/**
 * `value` as an RE2 pattern matching exactly that text, like Go's `regexp.QuoteMeta`.
 *
 * @param {string} value
 */
export function quoteMeta(value) {
  return value.replace(/[\\.+*?()|[\]{}^$]/g, '\\$&');
}

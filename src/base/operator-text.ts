/** Longest text from an IdP or a store that reaches `status()`, an event or a message. */
export const MAX_OPERATOR_TEXT = 200;

/** Longest IdP value (a URL, an issuer) quoted inside one of our own sentences. */
const MAX_QUOTED_VALUE = 80;

/**
 * C0 and C1 controls, DEL, line and paragraph separators, and bidirectional overrides:
 * what could forge a log line or hide text in a terminal.
 */
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;

function escapeCharacter(character: string): string {
  return `\\u${character.charCodeAt(0).toString(16).padStart(4, '0')}`;
}

function cut(text: string, max: number): string {
  if (text.length <= max) return text;
  let end = max - 1;
  // Never leave half of a surrogate pair before the ellipsis.
  const last = text.charCodeAt(end - 1);
  if (last >= 0xd800 && last <= 0xdbff) end -= 1;
  return `${text.slice(0, end)}…`;
}

/**
 * Text fit for an operator: control characters escaped as `\uXXXX`, cut to `max`
 * characters with an ellipsis. For text that may come from an IdP or a store (rule 25).
 * @internal
 */
export function operatorText(text: string, max = MAX_OPERATOR_TEXT): string {
  // Cut first so a 900 KiB string is not escaped whole, then again: escapes lengthen it.
  return cut(cut(text, max).replace(UNSAFE, escapeCharacter), max);
}

/** An IdP value quoted inside a sentence of ours, escaped and cut short. @internal */
export function quoted(value: string): string {
  return `"${operatorText(value, MAX_QUOTED_VALUE)}"`;
}

/** The operator-facing text of anything thrown. @internal */
export function describeThrown(thrown: unknown): string {
  if (thrown instanceof Error) return operatorText(thrown.message);
  if (typeof thrown === 'string') return operatorText(thrown);
  return 'unknown error';
}

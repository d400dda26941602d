import { isUtf8 } from 'node:buffer';
import { BoundedMemo } from '../base/bounded-memo.js';
import { canonicalBase64url } from '../base/base64url.js';
import { deepFreeze } from '../base/deep-freeze.js';
import { AuthError } from '../base/errors.js';
import { parseJsonObject } from '../base/json-object.js';

/**
 * Reading a compact JWS's segments before its signature is checked: the canonical-base64url
 * rule, and the header and payload as JSON objects. verify.ts decides when each runs.
 */

/**
 * Where unverified segments are decoded: one buffer, grown to the largest segment seen
 * (the header cap bounds it), instead of a Buffer per segment. Decoding is synchronous,
 * so it is never shared by two calls at once.
 */
let scratch = Buffer.allocUnsafeSlow(4096);

/** Whether every segment is canonical base64url (one spelling per signed token). @internal */
export function canonicalSegments(token: string): boolean {
  let start = 0;
  for (;;) {
    const dot = token.indexOf('.', start);
    const end = dot === -1 ? token.length : dot;
    if (!canonicalBase64url(token, start, end)) return false;
    if (dot === -1) return true;
    start = dot + 1;
  }
}

/**
 * The JSON object of one segment, read before any key is looked up so that a disallowed `alg`
 * or a foreign `iss` is refused without any fetch; the payload's object becomes the claims
 * once the signature holds. Buffer's decoder is native; the alphabet and padding bits were
 * checked already. A leading byte-order mark is dropped, as jose's `TextDecoder` drops it.
 * Bytes that are not UTF-8 are read with replacement characters here, as 0.1 read them, and
 * `utf8` says so: the token is refused after the key lookup, where jose refused it.
 * @internal
 */
export function decodeSegment(token: string, start: number, end: number, part: 'header' | 'payload'): Segment {
  const encoded = token.slice(start, end);
  const size = Math.ceil((encoded.length * 3) / 4);
  if (size > scratch.length) scratch = Buffer.allocUnsafeSlow(size);
  const length = scratch.write(encoded, 0, 'base64url');
  const utf8 = isUtf8(scratch.subarray(0, length));
  const object = parseJsonObject(scratch.toString('utf8', 0, length));
  if (object === undefined) throw new AuthError('invalid_token', `the token ${part} is not a JSON object`);
  return { object, utf8 };
}

/** A decoded segment. @internal */
export interface Segment {
  object: Record<string, unknown>;
  /** Whether the segment's bytes are UTF-8 (jose's decoder is fatal: it refuses them otherwise). */
  utf8: boolean;
}

/**
 * Headers decoded before, by their encoded text: the tokens of one issuer share a handful of
 * headers, so most tokens skip a base64 decode and a `JSON.parse`. The objects are frozen,
 * since every token with that header shares one. Bounded like every memo.
 */
const headers = new BoundedMemo<Segment>(64, 1024);

/** @internal */
export function decodeHeader(token: string, headerEnd: number): Segment {
  const encoded = token.slice(0, headerEnd);
  const known = headers.get(encoded);
  if (known !== undefined) return known;
  const decoded = decodeSegment(token, 0, headerEnd, 'header');
  const shared = { object: deepFreeze(decoded.object) as Record<string, unknown>, utf8: decoded.utf8 };
  headers.remember(encoded, shared);
  return shared;
}

/**
 * The mutations of the differential test (./differential.test.ts), applied to its base tokens
 * (./differential-corpus.ts): flipped bits, replaced characters, segments and header members
 * taken from other tokens, re-encoded and resized signatures, non-canonical base64url.
 */
import fc from 'fast-check';
import { ALGORITHMS, b64, EXTRA_HEADERS, type BaseToken } from './differential-corpus.js';

export interface Mutation {
  name: string;
  apply(base: BaseToken, other: BaseToken): string;
}

const BASE64URL = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

const join = (header: string, payload: string, signature: string): string => `${header}.${payload}.${signature}`;

function flip(segment: string, position: number, bit: number): string {
  const bytes = Buffer.from(segment, 'base64url');
  if (bytes.length === 0) return segment;
  const index = position % bytes.length;
  bytes[index] = (bytes[index] ?? 0) ^ (1 << bit);
  return b64(bytes);
}

/** A header segment with one member changed, when the header is a JSON object. */
function withHeader(segment: string, change: (header: Record<string, unknown>) => void): string {
  try {
    const header = JSON.parse(Buffer.from(segment, 'base64url').toString('utf8')) as Record<string, unknown>;
    if (typeof header !== 'object' || header === null) return segment;
    change(header);
    return b64(JSON.stringify(header));
  } catch {
    return segment;
  }
}

/** IEEE P1363 `r || s` as an ASN.1 DER ECDSA-Sig-Value. */
function toDer(signature: Buffer): Buffer {
  const half = signature.length / 2;
  const integer = (bytes: Buffer): Buffer => {
    let start = 0;
    while (start < bytes.length - 1 && bytes[start] === 0) start += 1;
    let body = bytes.subarray(start);
    if ((body[0] ?? 0) & 0x80) body = Buffer.concat([Buffer.from([0]), body]);
    return Buffer.concat([Buffer.from([0x02, body.length]), body]);
  };
  const sequence = Buffer.concat([integer(signature.subarray(0, half)), integer(signature.subarray(half))]);
  const length = sequence.length < 128 ? Buffer.from([sequence.length]) : Buffer.from([0x81, sequence.length]);
  return Buffer.concat([Buffer.from([0x30]), length, sequence]);
}

const mutation = (name: string, apply: Mutation['apply']): Mutation => ({ name, apply });

/** The mutations, each with its parameters drawn by fast-check. */
export const mutations: fc.Arbitrary<Mutation> = fc.oneof(
  { weight: 30, arbitrary: fc.constant(mutation('unchanged', (base) => base.token)) },
  {
    weight: 8,
    arbitrary: fc.tuple(fc.nat(), fc.nat({ max: 7 })).map(([position, bit]) =>
      mutation('signature bit flipped', (base) => join(base.header, base.payload, flip(base.signature, position, bit))),
    ),
  },
  {
    weight: 6,
    arbitrary: fc.tuple(fc.nat(), fc.nat({ max: 7 })).map(([position, bit]) =>
      mutation('payload bit flipped', (base) => join(base.header, flip(base.payload, position, bit), base.signature)),
    ),
  },
  {
    weight: 6,
    arbitrary: fc.tuple(fc.nat(), fc.nat({ max: 7 })).map(([position, bit]) =>
      mutation('header bit flipped', (base) => join(flip(base.header, position, bit), base.payload, base.signature)),
    ),
  },
  {
    weight: 6,
    arbitrary: fc.tuple(fc.nat(), fc.constantFrom(...BASE64URL, '.', '=', '+', '/', ' ')).map(([position, character]) =>
      mutation('character replaced', (base) => {
        const index = position % base.token.length;
        return base.token.slice(0, index) + character + base.token.slice(index + 1);
      }),
    ),
  },
  { weight: 3, arbitrary: fc.constant(mutation('signature of another token', (base, other) => join(base.header, base.payload, other.signature))) },
  { weight: 3, arbitrary: fc.constant(mutation('header of another token', (base, other) => join(other.header, base.payload, base.signature))) },
  { weight: 3, arbitrary: fc.constant(mutation('payload of another token', (base, other) => join(base.header, other.payload, base.signature))) },
  {
    weight: 3,
    arbitrary: fc.constantFrom(...ALGORITHMS, 'none', 'HS256').map((alg) =>
      mutation('alg swapped', (base) => join(withHeader(base.header, (header) => void (header.alg = alg)), base.payload, base.signature)),
    ),
  },
  {
    weight: 2,
    arbitrary: fc.constant(
      mutation('kid of another token', (base, other) =>
        join(withHeader(base.header, (header) => void (header.kid = withHeaderValue(other.header, 'kid'))), base.payload, base.signature),
      ),
    ),
  },
  {
    weight: 2,
    arbitrary: fc.constantFrom<unknown>('JWT', 'at+jwt', 'AT+JWT', 'application/at+jwt', undefined, 7).map((typ) =>
      mutation('typ swapped', (base) => join(withHeader(base.header, (header) => void (header.typ = typ)), base.payload, base.signature)),
    ),
  },
  {
    weight: 2,
    arbitrary: fc.constantFrom(...EXTRA_HEADERS).map((extra) =>
      mutation('crit or b64 added', (base) => join(withHeader(base.header, (header) => void Object.assign(header, extra)), base.payload, base.signature)),
    ),
  },
  {
    weight: 2,
    arbitrary: fc.constantFrom(-1, 1).map((change) =>
      mutation(change < 0 ? 'signature one byte shorter' : 'signature one byte longer', (base) => {
        const bytes = Buffer.from(base.signature, 'base64url');
        return join(base.header, base.payload, b64(change < 0 ? bytes.subarray(1) : Buffer.concat([Buffer.alloc(1), bytes])));
      }),
    ),
  },
  {
    weight: 2,
    arbitrary: fc.constant(
      mutation('signature DER-encoded', (base) => join(base.header, base.payload, b64(toDer(Buffer.from(base.signature, 'base64url'))))),
    ),
  },
  {
    weight: 2,
    arbitrary: fc.constant(
      mutation('last character not canonical', (base) => {
        const last = BASE64URL.indexOf(base.token.at(-1) ?? 'A');
        return base.token.slice(0, -1) + (BASE64URL[(last + 1) % 64] ?? 'A');
      }),
    ),
  },
  {
    weight: 1,
    arbitrary: fc.constantFrom('drop signature', 'extra segment', 'header re-spaced').map((name) =>
      mutation(name, (base) => {
        if (name === 'drop signature') return `${base.header}.${base.payload}.`;
        if (name === 'extra segment') return `${base.token}.${base.signature}`;
        return join(b64(` ${Buffer.from(base.header, 'base64url').toString('utf8')}`), base.payload, base.signature);
      }),
    ),
  },
);

function withHeaderValue(segment: string, name: string): unknown {
  try {
    return (JSON.parse(Buffer.from(segment, 'base64url').toString('utf8')) as Record<string, unknown>)[name];
  } catch {
    return undefined;
  }
}

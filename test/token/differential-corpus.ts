/**
 * The base tokens of the differential test (./differential.test.ts), signed for real, whose
 * headers, claims, keys and algorithms fast-check picks with edge cases weighted in (the
 * mutations applied to them are in ./differential-mutations.ts). Claims are written as JSON text member by member, so that
 * `1e400`, `-0` or a duplicate `iss` reach the verifiers as written.
 */
import { sign, type KeyObject, type SignKeyObjectInput } from 'node:crypto';
import fc from 'fast-check';
import { SUPPORTED_ALGORITHMS } from '../../src/index.js';
import type { TestAlgorithm, TestIssuer } from '../../src/testing.js';

export const ALGORITHMS: readonly string[] = SUPPORTED_ALGORITHMS;

/** A key of ours, published in the issuer's JWKS, that signs with node:crypto. */
export interface HandKey {
  kid: string | undefined;
  privateKey: KeyObject;
  type: string;
  curve: string | undefined;
}

export interface BaseToken {
  /** Which key signed it, and as what. */
  label: string;
  token: string;
  header: string;
  payload: string;
  signature: string;
}

export const b64 = (value: string | Uint8Array): string => Buffer.from(value).toString('base64url');

const OMIT = Symbol('omit');
type Raw = string | typeof OMIT;

/** The scheme a signing `alg` stands for, written out here rather than read from src. */
const SCHEMES: Record<string, { hash: string | null; options: Omit<SignKeyObjectInput, 'key'> }> = {
  RS256: { hash: 'sha256', options: {} },
  RS384: { hash: 'sha384', options: {} },
  RS512: { hash: 'sha512', options: {} },
  PS256: { hash: 'sha256', options: { padding: 6, saltLength: 32 } },
  PS384: { hash: 'sha384', options: { padding: 6, saltLength: 48 } },
  PS512: { hash: 'sha512', options: { padding: 6, saltLength: 64 } },
  ES256: { hash: 'sha256', options: { dsaEncoding: 'ieee-p1363' } },
  ES384: { hash: 'sha384', options: { dsaEncoding: 'ieee-p1363' } },
  ES512: { hash: 'sha512', options: { dsaEncoding: 'ieee-p1363' } },
  EdDSA: { hash: null, options: {} },
  Ed25519: { hash: null, options: {} },
};

/**
 * `key`'s signature of `input` for `alg` when the key can make one; otherwise the key's own
 * kind of signature (an RSA key under `ES256`): the pairing is wrong, the bytes are real.
 */
function signHand(alg: string, key: HandKey, input: string): Buffer {
  const wanted = SCHEMES[alg];
  const fallback =
    key.type === 'rsa' ? SCHEMES.RS256 : key.type === 'ec' ? SCHEMES.ES256 : SCHEMES.EdDSA;
  const fits =
    wanted !== undefined &&
    ((key.type === 'rsa' && /^[RP]S/.test(alg)) || (key.type === 'ec' && alg.startsWith('ES')) || (key.type.startsWith('ed') && wanted.hash === null));
  const scheme = fits ? wanted : fallback;
  if (scheme === undefined) throw new Error(`no scheme for ${alg}`);
  return sign(scheme.hash, Buffer.from(input), { key: key.privateKey, ...scheme.options });
}

const raw = (value: unknown): string => JSON.stringify(value);
const omitted = fc.constant<Raw>(OMIT);

function timeArbitrary(now: number, usual: number | undefined, weights: { usual: number; omit: number }): fc.Arbitrary<Raw> {
  const whole = Math.floor(now);
  const offsets = [-3600, -31, -30.5, -30, -29.5, -29, -6, -5.5, -5, -1, -0.5, 0, 0.5, 1, 5, 5.5, 6, 29, 29.5, 30, 31, 3600];
  const odd = ['"1"', 'null', 'true', '1e400', '-1e400', '1e300', '-1e300', '8640000000000', '8640000000001', '-8640000000001', '[1]', '{}', '0', '-0', '1e-7', '9007199254740993'];
  return fc.oneof(
    ...(usual === undefined ? [] : [{ weight: weights.usual, arbitrary: fc.constant<Raw>(String(whole + usual)) }]),
    { weight: weights.omit, arbitrary: omitted },
    { weight: 4, arbitrary: fc.constantFrom(...offsets).map<Raw>((offset) => String(whole + offset)) },
    { weight: 1, arbitrary: fc.constantFrom(...odd) as fc.Arbitrary<Raw> },
  );
}

function claimsArbitrary(issuerUrl: string, audience: string, now: number): fc.Arbitrary<string> {
  const iss = fc.oneof(
    { weight: 14, arbitrary: fc.constant<Raw>(raw(issuerUrl)) },
    { weight: 1, arbitrary: fc.constantFrom<Raw>(OMIT, raw('https://evil.example'), 'null', '5', raw(`${issuerUrl}/`)) },
  );
  const aud = fc.oneof(
    { weight: 12, arbitrary: fc.constant<Raw>(raw(audience)) },
    { weight: 3, arbitrary: fc.constantFrom<Raw>(raw(['x', audience]), raw(['other']), raw('other'), raw([1, audience]), raw([[audience]])) },
    { weight: 2, arbitrary: fc.constantFrom<Raw>(OMIT, raw(['x']), raw('x'), '[]', '5', 'null', raw(audience.toUpperCase()), raw({ 0: audience })) },
  );
  const shape = fc.constantFrom('plain', 'plain', 'plain', 'plain', 'plain', 'plain', 'evil iss first', 'evil iss last', 'proto member');
  return fc
    .record({
      iss,
      aud,
      exp: timeArbitrary(now, 300, { usual: 14, omit: 1 }),
      nbf: timeArbitrary(now, -10, { usual: 2, omit: 10 }),
      iat: timeArbitrary(now, 0, { usual: 8, omit: 4 }),
      shape,
    })
    .map(({ shape: extra, ...claims }) => {
      const members: string[] = [];
      if (extra === 'evil iss first') members.push(`"iss":${raw('https://evil.example')}`);
      for (const [name, value] of Object.entries(claims)) if (value !== OMIT) members.push(`${raw(name)}:${value}`);
      members.push('"sub":"differential-user"');
      if (extra === 'evil iss last') members.push(`"iss":${raw('https://evil.example')}`);
      if (extra === 'proto member') members.push('"__proto__":{"exp":1}');
      return `{${members.join(',')}}`;
    });
}

/** Header members jose would not sign, or that tenantgate refuses: `crit`, `b64`, `zip`, `jku`. */
export const EXTRA_HEADERS: Array<Record<string, unknown>> = [
  { crit: ['b64'], b64: true },
  { crit: ['b64'], b64: false },
  { crit: ['b64'] },
  { crit: ['b64'], b64: 'true' },
  { crit: ['b64'], b64: null },
  { crit: ['exp2'], exp2: 1 },
  { crit: [] },
  { crit: 'b64', b64: true },
  { crit: [''] },
  { crit: ['b64', 'b64'], b64: true },
  { crit: [5] },
  { crit: null },
  { b64: false },
  { b64: true },
  { jku: 'http://127.0.0.1:9/jwks', x5u: 'http://127.0.0.1:9/x5u' },
  { zip: 'DEF' },
  { zip: null },
];

interface Spec {
  signer: number;
  alg: string;
  headerAlg: unknown;
  kid: unknown;
  typ: unknown;
  extra: Record<string, unknown>;
  claims: string;
  payloadForm: 'text' | 'bom' | 'bad utf-8' | 'array';
}

/**
 * Signs the base tokens: every key under every algorithm with good claims, then `count` drawn by
 * fast-check, about half with the test issuer's own keys (jose signs them), the rest with hand
 * keys under any algorithm, with headers jose would not sign.
 */
export async function buildBases(context: {
  issuer: TestIssuer;
  handKeys: HandKey[];
  audience: string;
  nowSeconds: number;
  count: number;
}): Promise<BaseToken[]> {
  const { issuer, handKeys, audience, nowSeconds, count } = context;
  const issuerKeys = issuer.jwks.keys.filter((jwk) => handKeys.every((key) => key.kid !== jwk.kid));
  const signers = issuerKeys.length + handKeys.length;
  const knownKids = issuer.kids;
  const spec: fc.Arbitrary<Spec> = fc.record({
    signer: fc.nat({ max: signers - 1 }),
    alg: fc.constantFrom(...ALGORITHMS),
    headerAlg: fc.oneof(
      { weight: 14, arbitrary: fc.constant<unknown>('signer') },
      { weight: 1, arbitrary: fc.constantFrom<unknown>(...ALGORITHMS, 'none', 'HS256', 'rs256', OMIT, 5) },
    ),
    kid: fc.oneof(
      { weight: 14, arbitrary: fc.constant<unknown>('signer') },
      { weight: 1, arbitrary: fc.constantFrom<unknown>(OMIT, 'unknown-kid', 5, null, ...knownKids) },
    ),
    typ: fc.oneof(
      { weight: 6, arbitrary: fc.constant<unknown>(OMIT) },
      { weight: 6, arbitrary: fc.constantFrom<unknown>('JWT', 'at+jwt') },
      { weight: 3, arbitrary: fc.constantFrom<unknown>('jwt', 'AT+JWT', 'application/at+jwt', 'application/AT+JWT', 'application/jwt', 'Application/JWT') },
      { weight: 1, arbitrary: fc.constantFrom<unknown>('at+jwt ', 'JWT/', 'application/at+jwt;x=1', 5, null, '') },
    ),
    extra: fc.oneof({ weight: 12, arbitrary: fc.constant({}) }, { weight: 3, arbitrary: fc.constantFrom(...EXTRA_HEADERS) }),
    claims: claimsArbitrary(issuer.url, audience, nowSeconds),
    payloadForm: fc.oneof(
      { weight: 30, arbitrary: fc.constant<Spec['payloadForm']>('text') },
      { weight: 1, arbitrary: fc.constantFrom<Spec['payloadForm']>('bom', 'bad utf-8', 'array') },
    ),
  });
  // Every signer under every algorithm, with good claims and nothing odd in the header: each
  // pairing of algorithm and key is there at least once, right or wrong.
  const whole = Math.floor(nowSeconds);
  const clean = (signer: number, alg: string): Spec => ({
    signer,
    alg,
    headerAlg: 'signer',
    kid: 'signer',
    typ: 'JWT',
    extra: {},
    claims: JSON.stringify({ iss: issuer.url, aud: audience, sub: 'differential-user', iat: whole, exp: whole + 300 }),
    payloadForm: 'text',
  });
  const pairings = Array.from({ length: signers }, (_, signer) =>
    signer < issuerKeys.length ? [clean(signer, 'RS256')] : ALGORITHMS.map((alg) => clean(signer, alg)),
  ).flat();
  const bases: BaseToken[] = [];
  for (const each of [...pairings, ...fc.sample(spec, count)]) {
    const bytes =
      each.payloadForm === 'bom'
        ? Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(each.claims)])
        : each.payloadForm === 'bad utf-8'
          ? Buffer.from(each.claims.replace('"differential-user"', '"differential-\udc00-user"').replace('\udc00', '\u00ff'), 'latin1')
          : Buffer.from(each.payloadForm === 'array' ? `[${each.claims}]` : each.claims);
    let token: string;
    let label: string;
    if (each.signer < issuerKeys.length) {
      const jwk = issuerKeys[each.signer];
      const alg = jwk?.alg as TestAlgorithm;
      const header: Record<string, unknown> = { typ: each.typ === OMIT ? undefined : each.typ };
      if (each.kid === OMIT) header.kid = undefined;
      else if (each.kid !== 'signer') header.kid = each.kid;
      token = await issuer.signPayload(bytes, { kid: jwk?.kid, header });
      label = `issuer ${alg}`;
    } else {
      const key = handKeys[each.signer - issuerKeys.length] as HandKey;
      const header: Record<string, unknown> = {};
      if (each.headerAlg !== OMIT) header.alg = each.headerAlg === 'signer' ? each.alg : each.headerAlg;
      if (each.kid !== OMIT) header.kid = each.kid === 'signer' ? key.kid : each.kid;
      if (each.typ !== OMIT) header.typ = each.typ;
      Object.assign(header, each.extra);
      const input = `${b64(JSON.stringify(header))}.${b64(bytes)}`;
      token = `${input}.${b64(signHand(each.alg, key, input))}`;
      label = `hand ${key.kid ?? '(no kid)'} as ${each.alg}`;
    }
    const [headerSegment = '', payload = '', signature = ''] = token.split('.');
    bases.push({ label, token, header: headerSegment, payload, signature });
  }
  return bases;
}

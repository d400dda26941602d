// The header values header-fuzz.js generates (fast-check): raw unicode and bytes, schemes in
// any case, odd tenants, Basic of random bytes, values around 16 KiB and inner runs of blanks,
// whitespace, token-shaped noise, JSON-shaped tokens and valid tokens with bytes mutated.
import fc from 'fast-check';
import { bearer, TENANT } from './tenantgate.js';

export const HEADER_LIMIT = 16 * 1024;
const B64URL = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
const b64url = (text) => Buffer.from(text).toString('base64url');

/**
 * Arbitraries of `{ kind, authorization }` (`generators`) and of a tenant header value
 * (`tenantInput`), built on `valid` tokens of the issuer at `issuerUrl` whose key is `kid`.
 */
export function headerArbitraries({ valid, kid, issuerUrl }) {
  const validToken = fc.constantFrom(...valid);
  const scheme = fc.oneof(
    fc.mixedCase(fc.constantFrom('bearer', 'basic')),
    fc.constantFrom('Bearer', 'Basic', 'DPoP', 'Token', 'JWT', 'Negotiate', 'Bearer:', 'Basic=', ''),
    fc.string({ unit: 'binary-ascii', maxLength: 8 }),
  );
  const whitespace = fc.string({ unit: fc.constantFrom(' ', '\t', '\n', '\r', '\v', '\f', '\u00a0', '\u2003', '\u3000', '\u0000'), minLength: 1, maxLength: 6 });
  const tenantChar = fc.constantFrom(
    ...'abcXYZ019!-_.*\'()', '|', '||', ':', '/', '\\', '%2F', '..', ' ', '\t', 'é', 'İ', '\u0000', '\u202e', '😀', '__mimir_cluster', '"', ',', ';', '=',
  );
  const tenant = fc.oneof(
    { weight: 4, arbitrary: fc.string({ unit: tenantChar, maxLength: 12 }) },
    { weight: 2, arbitrary: fc.constantFrom(TENANT, `${TENANT}|${TENANT}`, `${TENANT}|tenant-2`, '.', '..', '__mimir_cluster', '*', '|', `${TENANT}|`, 'a'.repeat(150), 'a'.repeat(151)) },
    { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 40 }) },
  );
  // Most structured values carry a valid tenant, so that they get past the tenant checks.
  const usualTenant = fc.oneof({ weight: 3, arbitrary: fc.constant(TENANT) }, { weight: 1, arbitrary: tenant });
  const segment = fc.string({ unit: fc.constantFrom(...B64URL), minLength: 1, maxLength: 300 });
  const shapedNoise = fc.tuple(segment, segment, segment).map((parts) => parts.join('.'));
  const jsonShaped = fc
    .record({
      alg: fc.constantFrom('RS256', 'none', 'HS256', 'ES256', 'RS512', 'PS256', 'EdDSA', 'rs256', ''),
      kid: fc.oneof(fc.constant(kid), fc.string({ maxLength: 20 }), fc.integer(), fc.constant(undefined)),
      extra: fc.dictionary(fc.constantFrom('crit', 'zip', 'b64', 'jku', 'x5u', 'jwk', 'typ', 'cty'), fc.jsonValue({ maxDepth: 2 }), { maxKeys: 3 }),
      claims: fc.dictionary(fc.constantFrom('iss', 'aud', 'exp', 'nbf', 'iat', 'sub', 'tid'), fc.jsonValue({ maxDepth: 2 }), { maxKeys: 5 }),
      issuerKept: fc.boolean(),
      signature: segment,
    })
    .map(({ alg, kid: headerKid, extra, claims, issuerKept, signature }) => {
      const header = { ...extra, alg, ...(headerKid === undefined ? {} : { kid: headerKid }) };
      const payload = issuerKept ? { ...claims, iss: issuerUrl } : claims;
      return `${b64url(JSON.stringify(header))}.${b64url(JSON.stringify(payload))}.${signature}`;
    });
  const mutated = fc
    .record({
      token: validToken,
      op: fc.constantFrom('replace', 'delete', 'insert', 'truncate', 'append', 'flip-case', 'swap-segments', 'dup-segment', 'pad', 'dots'),
      at: fc.nat(),
      char: fc.oneof(fc.constantFrom(...B64URL, '.', '=', '+', '/', ' ', '%', '\u0000', 'é'), fc.string({ unit: 'binary', minLength: 1, maxLength: 1 })),
    })
    .map(({ token, op, at, char }) => {
      const index = at % token.length;
      const parts = token.split('.');
      switch (op) {
        case 'replace':
          return token.slice(0, index) + char + token.slice(index + 1);
        case 'delete':
          return token.slice(0, index) + token.slice(index + 1);
        case 'insert':
          return token.slice(0, index) + char + token.slice(index);
        case 'truncate':
          return token.slice(0, index);
        case 'append':
          return token + char;
        case 'flip-case': {
          const c = token[index];
          return token.slice(0, index) + (c === c.toUpperCase() ? c.toLowerCase() : c.toUpperCase()) + token.slice(index + 1);
        }
        case 'swap-segments':
          return [parts[1], parts[0], parts[2]].join('.');
        case 'dup-segment':
          return [parts[0], parts[1], parts[1], parts[2]].join('.');
        case 'pad':
          return `${token}==`;
        default:
          return token.replaceAll('.', char === '.' ? '..' : '.'.repeat(1 + (at % 3)));
      }
    });
  const token = fc.oneof(
    { weight: 3, arbitrary: validToken },
    { weight: 6, arbitrary: mutated },
    { weight: 3, arbitrary: shapedNoise },
    { weight: 3, arbitrary: jsonShaped },
    { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 80 }) },
  );
  const credentials = fc.tuple(usualTenant, fc.constantFrom(':', ':', ':', '', '::', ' :'), token).map(([t, colon, jwt]) => `${t}${colon}${jwt}`);
  const hugeValues = [20_000, 65_536, 262_144, 1_048_576].flatMap((size) => ['A', ' ', '.', 'é', '|'].map((char) => `Bearer ${char.repeat(size)}`));
  const header = (kind, arbitrary) => arbitrary.map((authorization) => ({ kind, authorization }));
  const basicOf = (text) => Buffer.from(text, 'utf8').toString('base64');
  const generators = fc.oneof(
    { weight: 3, arbitrary: header('unicode', fc.string({ unit: 'binary', maxLength: 64 })) },
    { weight: 2, arbitrary: header('grapheme', fc.string({ unit: 'grapheme', maxLength: 200 })) },
    { weight: 3, arbitrary: header('bytes', fc.uint8Array({ maxLength: 600 }).map((bytes) => Buffer.from(bytes).toString('latin1'))) },
    { weight: 4, arbitrary: header('scheme-noise', fc.tuple(scheme, whitespace, fc.string({ unit: 'binary-ascii', maxLength: 300 })).map((p) => p.join(''))) },
    { weight: 10, arbitrary: header('structured', fc.tuple(scheme, whitespace, credentials).map((p) => p.join(''))) },
    { weight: 6, arbitrary: header('bearer-mutated', fc.tuple(fc.mixedCase(fc.constant('bearer')), usualTenant, mutated).map(([s, t, jwt]) => `${s} ${t}:${jwt}`)) },
    { weight: 4, arbitrary: header('bearer-json-shaped', jsonShaped.map((jwt) => bearer(jwt))) },
    { weight: 3, arbitrary: header('basic-bytes', fc.tuple(fc.mixedCase(fc.constant('basic')), fc.uint8Array({ maxLength: 400 })).map(([s, bytes]) => `${s} ${Buffer.from(bytes).toString('base64')}`)) },
    {
      weight: 4,
      arbitrary: header(
        'basic-structured',
        fc.tuple(credentials, fc.constantFrom('canonical', 'unpadded', 'url-alphabet', 'tweak-last', 'spaces', 'newline')).map(([text, how]) => {
          const encoded = basicOf(text);
          switch (how) {
            case 'unpadded':
              return `Basic ${encoded.replace(/=+$/, '')}`;
            case 'url-alphabet':
              return `Basic ${encoded.replaceAll('+', '-').replaceAll('/', '_')}`;
            case 'tweak-last': {
              const trimmed = encoded.replace(/=+$/, '');
              const last = trimmed.at(-1) ?? 'A';
              const next = last === 'A' ? 'B' : 'A';
              return `Basic ${trimmed.slice(0, -1)}${next}${encoded.slice(trimmed.length)}`;
            }
            case 'spaces':
              return `Basic  ${encoded.slice(0, 4)} ${encoded.slice(4)}`;
            case 'newline':
              return `Basic ${encoded}\r\n`;
            default:
              return `Basic ${encoded}`;
          }
        }),
      ),
    },
    {
      weight: 2,
      arbitrary: header(
        'near-16KiB',
        fc
          .tuple(validToken, fc.integer({ min: -48, max: 48 }), fc.constantFrom('spaces', 'signature', 'tenant'))
          .map(([jwt, delta, where]) => {
            const base = bearer(jwt);
            const fill = Math.max(0, HEADER_LIMIT + delta - base.length);
            if (where === 'spaces') return base + ' '.repeat(fill);
            if (where === 'signature') return base + 'A'.repeat(fill);
            return `Bearer ${'t'.repeat(fill)}${TENANT}:${jwt}`;
          }),
      ),
    },
    // Blanks at an end and a long inner run of them: a regex trim was quadratic here (137 ms).
    {
      weight: 1,
      arbitrary: header(
        'inner-blanks',
        fc
          .tuple(fc.constantFrom(' ', '\t', ''), fc.constantFrom(' ', '\t', ' \t'), fc.integer({ min: 1000, max: 8100 }), fc.constantFrom(' ', '\t'))
          .map(([lead, unit, count, tail]) => `${lead}Bearer ${TENANT}:x${unit.repeat(count).slice(0, HEADER_LIMIT - 40)}y${tail}`),
      ),
    },
    // Built once: a million fresh 1 MiB strings would measure the garbage collector, not the library.
    { weight: 1, arbitrary: header('huge', fc.constantFrom(...hugeValues)) },
    {
      weight: 3,
      arbitrary: header(
        'whitespace',
        fc.tuple(whitespace, fc.mixedCase(fc.constant('bearer')), whitespace, validToken, whitespace).map(([a, s, b, jwt, c]) => `${a}${s}${b}${TENANT}:${jwt}${c}`),
      ),
    },
    { weight: 3, arbitrary: header('valid', fc.tuple(validToken, fc.boolean()).map(([jwt, basic]) => (basic ? `Basic ${basicOf(`${TENANT}:${jwt}`)}` : bearer(jwt)))) },
    {
      weight: 2,
      arbitrary: fc
        .array(fc.oneof(validToken.map((jwt) => bearer(jwt)), fc.string({ maxLength: 30 })), { maxLength: 3 })
        .map((list) => ({ kind: 'array', authorization: list })),
    },
  );
  // The lenient authenticator also reads a tenant header, fuzzed as well.
  const tenantInput = fc.oneof(fc.constant(undefined), tenant, fc.array(tenant, { maxLength: 3 }));
  return { generators, tenantInput };
}

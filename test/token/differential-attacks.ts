/**
 * Hand-made attacks for the differential test (./differential.test.ts), after the attack
 * corpus (./verify-attacks.test.ts): `alg: none`, HMAC keyed with the issuer's public key in
 * three forms, a relabelled algorithm, missing and extra segments, and the classic ECDSA
 * signature forgeries, made from the real base tokens.
 */
import { createHmac, createPublicKey, type JsonWebKey } from 'node:crypto';
import type { JWK } from 'jose';
import { b64, type BaseToken } from './differential-corpus.js';

/** `[label, token]` pairs. */
export function handMadeAttacks(bases: BaseToken[], jwks: JWK[]): Array<[string, string]> {
  const [good] = bases.filter((base) => base.label.startsWith('issuer RS256'));
  if (good === undefined) throw new Error('no RS256 base token');
  const [header, payload, signature] = good.token.split('.') as [string, string, string];
  const rsaJwk = jwks.find((jwk) => jwk.alg === 'RS256');
  const attacks: Array<[string, string]> = [
    ['alg none, no signature', `${b64('{"alg":"none"}')}.${payload}.`],
    ['alg none, old signature', `${b64('{"alg":"none"}')}.${payload}.${signature}`],
    ['alg NONE', `${b64('{"alg":"NONE"}')}.${payload}.${signature}`],
    ['HS256 keyed with the public JWK', hmac('HS256', JSON.stringify(rsaJwk), payload)],
    ['HS256 keyed with the modulus', hmac('HS256', String(rsaJwk?.n), payload)],
    ['RS256 relabelled PS256', `${b64(JSON.stringify({ ...JSON.parse(Buffer.from(header, 'base64url').toString()), alg: 'PS256' }))}.${payload}.${signature}`],
    ['empty signature', `${header}.${payload}.`],
    ['JWE-like five segments', `${header}.${payload}.${signature}.${signature}.${signature}`],
    ['two segments', `${header}.${payload}`],
    ['signature all zero', `${header}.${payload}.${b64(Buffer.alloc(256))}`],
  ];
  // ECDSA signature attacks on a real ES256 token (verify-attacks.test.ts has them too).
  const es256 = bases.find((base) => base.label === 'issuer ES256');
  if (es256 === undefined) throw new Error('no ES256 base token');
  const order = Buffer.from('FFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551', 'hex');
  const rs = Buffer.from(es256.signature, 'base64url');
  const pem = createPublicKey({ key: rsaJwk as JsonWebKey, format: 'jwk' }).export({ type: 'spki', format: 'pem' }).toString();
  const ecdsa: Array<[string, Buffer]> = [
    ['all-zero ES256 signature (CVE-2022-21449)', Buffer.alloc(64)],
    ['r = s = n', Buffer.concat([order, order])],
    ['r and s swapped', Buffer.concat([rs.subarray(32), rs.subarray(0, 32)])],
    ['s replaced by n - s', Buffer.concat([rs.subarray(0, 32), minus(order, rs.subarray(32))])],
    ['ES256 signature of 96 bytes', Buffer.concat([rs, Buffer.alloc(32)])],
  ];
  for (const [label, bytes] of ecdsa) attacks.push([label, `${es256.header}.${es256.payload}.${b64(bytes)}`]);
  attacks.push(['HS256 keyed with the PEM public key', hmac('HS256', pem, payload)]);
  return attacks;
}

/** `a - b` for equal-length big-endian unsigned integers (a > b). */
function minus(a: Buffer, b: Buffer): Buffer {
  return Buffer.from((BigInt(`0x${a.toString('hex')}`) - BigInt(`0x${b.toString('hex')}`)).toString(16).padStart(a.length * 2, '0'), 'hex');
}

function hmac(alg: 'HS256', secret: string, payload: string): string {
  const input = `${b64(JSON.stringify({ alg, typ: 'JWT' }))}.${payload}`;
  return `${input}.${createHmac('sha256', secret).update(input).digest('base64url')}`;
}

/**
 * mTLS-bound tokens (RFC 8705 §3) with real certificates made by the `openssl` command line:
 * the thumbprint of every form a certificate arrives in equals OpenSSL's, and every branch of
 * the binding check in each mode.
 */
import { execFileSync } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AuthError } from '../../src/base/errors.js';
import { certificateThumbprint, checkCertificateBinding } from '../../src/token/certificate-binding.js';

let dir: string;
let pem: string;
let der: Buffer;
/** What OpenSSL says the client certificate's thumbprint is. */
let expected: string;
let otherThumbprint: string;

/** A self-signed P-256 certificate in `dir`, and its SHA-256 thumbprint by OpenSSL. */
function makeCertificate(name: string): { pem: string; thumbprint: string } {
  const keyPath = join(dir, `${name}.key.pem`);
  const certPath = join(dir, `${name}.pem`);
  execFileSync('openssl', [
    'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes',
    '-subj', `/CN=${name}`, '-keyout', keyPath, '-out', certPath, '-days', '1',
  ], { stdio: 'pipe' });
  const digest = execFileSync('sh', ['-c', `openssl x509 -in "${certPath}" -outform DER | openssl dgst -sha256 -binary | openssl base64 -A`]);
  const thumbprint = digest.toString('latin1').trim().replaceAll('+', '-').replaceAll('/', '_').replace(/=+$/, '');
  return { pem: readFileSync(certPath, 'latin1'), thumbprint };
}

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'tenantgate-mtls-'));
  const client = makeCertificate('client');
  pem = client.pem;
  expected = client.thumbprint;
  der = execFileSync('openssl', ['x509', '-in', join(dir, 'client.pem'), '-outform', 'DER']);
  otherThumbprint = makeCertificate('other').thumbprint;
});

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

function expectAuthError(run: () => unknown, code: string, message: string | RegExp, secrets: string[] = []): void {
  let caught: unknown;
  try {
    run();
  } catch (error) {
    caught = error;
  }
  expect(caught).toBeInstanceOf(AuthError);
  const error = caught as AuthError;
  expect(error.code).toBe(code);
  expect(error.message).toMatch(message);
  for (const secret of secrets) expect(error.message).not.toContain(secret);
}

describe('certificateThumbprint', () => {
  it('equals OpenSSL’s for an X509Certificate, a PEM string, a PEM Buffer and a DER Buffer', () => {
    expect(expected).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(certificateThumbprint(new X509Certificate(pem))).toBe(expected);
    expect(certificateThumbprint(pem)).toBe(expected);
    expect(certificateThumbprint(Buffer.from(pem))).toBe(expected);
    expect(certificateThumbprint(der)).toBe(expected);
    expect(certificateThumbprint(new X509Certificate(der))).toBe(expected);
  });

  it('reads a URL-encoded PEM, as nginx’s $ssl_client_escaped_cert sends it', () => {
    const escaped = encodeURIComponent(pem);
    expect(escaped.startsWith('-----BEGIN%20CERTIFICATE-----%0A')).toBe(true);
    expect(certificateThumbprint(escaped)).toBe(expected);
  });

  it('tells two certificates apart', () => {
    expect(otherThumbprint).not.toBe(expected);
  });

  it.each([
    ['an empty string', ''],
    ['text', 'not a certificate'],
    ['a PEM cut short', () => pem.slice(0, 200)],
    ['a PEM with a bad body', () => pem.replace(/\n[A-Za-z0-9+/]{20}/, '\n!!!!!!!!!!!!!!!!!!!!')],
    ['broken URL-encoding', () => `${encodeURIComponent(pem)}%E0%A4%A`],
    ['a DER cut short', () => der.subarray(0, der.length - 10)],
    ['an empty Buffer', () => Buffer.alloc(0)],
    ['a number', () => 42 as unknown as string],
    ['undefined', () => undefined as unknown as string],
  ])('refuses %s with invalid_request', (_name, input) => {
    const certificate = typeof input === 'function' ? input() : input;
    expectAuthError(() => certificateThumbprint(certificate), 'invalid_request', /^the client certificate could not be read$/);
    expect(() => certificateThumbprint(certificate)).toThrow(expect.objectContaining({ status: 400 }));
  });
});

describe('checkCertificateBinding', () => {
  const bound = () => ({ sub: 'client', cnf: { 'x5t#S256': expected } });

  it('checks nothing when off', () => {
    for (const claims of [{}, bound(), { cnf: 'garbage' }, { cnf: { 'x5t#S256': 7 } }]) {
      expect(() => checkCertificateBinding(claims, undefined, 'off')).not.toThrow();
      expect(() => checkCertificateBinding(claims, otherThumbprint, 'off')).not.toThrow();
    }
  });

  it.each(['allowed', 'required'] as const)('%s: accepts a bound token with its certificate', (mode) => {
    expect(() => checkCertificateBinding(bound(), certificateThumbprint(pem), mode)).not.toThrow();
    expect(() => checkCertificateBinding({ cnf: { jkt: 'x', 'x5t#S256': expected } }, expected, mode)).not.toThrow();
  });

  it.each(['allowed', 'required'] as const)('%s: refuses a bound token without a certificate', (mode) => {
    expectAuthError(() => checkCertificateBinding(bound(), undefined, mode), 'invalid_token',
      'the token is bound to a client certificate that was not presented', [expected]);
  });

  it.each(['allowed', 'required'] as const)('%s: refuses a bound token with another certificate', (mode) => {
    for (const presented of [otherThumbprint, expected.slice(0, -1), `${expected}A`, expected.toLowerCase()]) {
      if (presented === expected) continue;
      expectAuthError(() => checkCertificateBinding(bound(), presented, mode), 'invalid_token',
        'the token is bound to another client certificate', [expected, otherThumbprint]);
    }
  });

  it('allowed: accepts a token without a binding, with or without a certificate', () => {
    for (const claims of [{}, { cnf: {} }, { cnf: { jkt: 'abc' } }, Object.create(bound()) as Record<string, unknown>]) {
      expect(() => checkCertificateBinding(claims, undefined, 'allowed')).not.toThrow();
      expect(() => checkCertificateBinding(claims, expected, 'allowed')).not.toThrow();
    }
  });

  it('required: refuses a token without a binding, even with a certificate', () => {
    const inherited = Object.create(bound()) as Record<string, unknown>;
    const inheritedMember = { cnf: Object.create({ 'x5t#S256': expected }) as Record<string, unknown> };
    for (const claims of [{}, { cnf: {} }, { cnf: { jkt: 'abc' } }, inherited, inheritedMember]) {
      expectAuthError(() => checkCertificateBinding(claims, expected, 'required'), 'invalid_token',
        'the token is not bound to a client certificate');
    }
  });

  it.each(['allowed', 'required'] as const)('%s: refuses a cnf that is not an object', (mode) => {
    for (const cnf of ['x5t', null, [expected], 42, true]) {
      expectAuthError(() => checkCertificateBinding({ cnf }, expected, mode), 'invalid_token', /cnf claim is not a JSON object/, [expected]);
    }
  });

  it.each(['allowed', 'required'] as const)('%s: refuses an x5t#S256 that is not a non-empty string', (mode) => {
    for (const thumbprint of [42, null, '', [expected], { value: expected }]) {
      expectAuthError(() => checkCertificateBinding({ cnf: { 'x5t#S256': thumbprint } }, expected, mode), 'invalid_token',
        /certificate thumbprint is not a string/, [expected]);
    }
  });
});

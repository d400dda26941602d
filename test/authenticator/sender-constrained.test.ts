/**
 * DPoP (RFC 9449) and mTLS-bound tokens (RFC 8705) through `authenticate`: real tokens from
 * the test issuer carrying `cnf`, real proofs signed by jose, real certificates from
 * node:crypto-made keys via openssl. Each rule of DESIGN.md "Sender-constrained tokens" has a
 * test that fails when the rule is dropped.
 */
import { execFileSync } from 'node:child_process';
import { createHash, randomUUID, X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { calculateJwkThumbprint, exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JWK } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError, createAuthenticator, type AuthenticatorOptions, type ReplayStore } from '../../src/index.js';
import { createTestIssuer, type TestIssuer } from '../../src/testing.js';
import { optionsFor, READER, refusalOf } from '../fixtures.js';

const URL_ = 'https://api.example.com/prometheus/api/v1/query';
const b64url = (bytes: Buffer) => bytes.toString('base64url');

interface ClientKey {
  privateKey: CryptoKey;
  jwk: JWK;
  jkt: string;
}

async function clientKey(alg = 'ES256'): Promise<ClientKey> {
  const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true });
  const jwk = await exportJWK(publicKey);
  return { privateKey, jwk, jkt: await calculateJwkThumbprint(jwk) };
}

async function proofFor(key: ClientKey, token: string, claims: Record<string, unknown> = {}, alg = 'ES256'): Promise<string> {
  return new SignJWT({
    jti: randomUUID(),
    htm: 'GET',
    htu: URL_,
    iat: Math.floor(Date.now() / 1000),
    ath: b64url(createHash('sha256').update(token).digest()),
    ...claims,
  })
    .setProtectedHeader({ alg, typ: 'dpop+jwt', jwk: key.jwk })
    .sign(key.privateKey);
}

const refusal = refusalOf;

describe('DPoP-bound tokens', () => {
  let issuer: TestIssuer;
  let key: ClientKey;
  let other: ClientKey;
  beforeAll(async () => {
    issuer = await createTestIssuer();
    [key, other] = await Promise.all([clientKey(), clientKey()]);
  });
  afterAll(async () => {
    await issuer.close();
  });

  const options = (dpop: AuthenticatorOptions['dpop'], extra: Partial<AuthenticatorOptions> = {}) =>
    optionsFor(issuer, { ...READER, dpop, ...extra });
  const boundToken = (jkt = key.jkt) => issuer.sign({ sub: 'pref-reader-1', cnf: { jkt } });
  const dpopInput = async (token: string, proof?: string) => ({
    authorization: `DPoP tenant-1:${token}`,
    dpop: proof ?? (await proofFor(key, token)),
    method: 'GET',
    url: URL_,
  });

  it('accepts a bound token with its proof, and a fresh proof each time from the cache', async () => {
    const auth = createAuthenticator(options({ mode: 'allowed' }));
    const token = await boundToken();
    const first = await auth.authenticate(await dpopInput(token));
    expect(first).toMatchObject({ tenant: 'tenant-1', subject: 'pref-reader-1', token });
    const second = await auth.authenticate(await dpopInput(token));
    expect(second.claims).toBe(first.claims);
    await auth.close();
  });

  it('refuses a replayed proof, with a DPoP challenge naming the algorithms', async () => {
    const auth = createAuthenticator(options({ mode: 'allowed', algorithms: ['ES256', 'EdDSA'] }));
    const token = await boundToken();
    const input = await dpopInput(token);
    await auth.authenticate(input);
    const error = await refusal(auth.authenticate(input));
    expect(error).toMatchObject({ code: 'invalid_dpop_proof', status: 401 });
    expect(error.message).toMatch(/used before/);
    expect(error.wwwAuthenticate).toBe(
      'Bearer realm="tenantgate", DPoP realm="tenantgate", error="invalid_dpop_proof", error_description="the DPoP proof was used before (its jti was seen)", algs="ES256 EdDSA", Basic realm="tenantgate", charset="UTF-8"',
    );
    await auth.close();
  });

  it('refuses a bound token sent as Bearer or Basic (downgrade) unless DPoP is off', async () => {
    const token = await boundToken();
    const allowed = createAuthenticator(options({ mode: 'allowed' }));
    for (const authorization of [`Bearer tenant-1:${token}`, `Basic ${Buffer.from(`tenant-1:${token}`).toString('base64')}`]) {
      const error = await refusal(allowed.authenticate({ authorization }));
      expect(error).toMatchObject({ code: 'invalid_token' });
      expect(error.message).toMatch(/bound to a DPoP key/);
    }
    // Verified and cached with its proof first: the cache must not let a Bearer copy through.
    await allowed.authenticate(await dpopInput(token));
    expect(await refusal(allowed.authenticate({ authorization: `Bearer tenant-1:${token}` }))).toMatchObject({ code: 'invalid_token' });
    const off = createAuthenticator(options(undefined));
    await expect(off.authenticate({ authorization: `Bearer tenant-1:${token}` })).resolves.toMatchObject({ tenant: 'tenant-1' });
    expect(await refusal(off.authenticate(await dpopInput(token)))).toMatchObject({ code: 'invalid_request' });
    await Promise.all([allowed.close(), off.close()]);
  });

  it('in required mode refuses Bearer and Basic, and challenges with DPoP alone', async () => {
    const auth = createAuthenticator(options({ mode: 'required' }));
    const unbound = await issuer.sign({ sub: 'pref-reader-1' });
    const error = await refusal(auth.authenticate({ authorization: `Bearer tenant-1:${unbound}` }));
    expect(error).toMatchObject({ code: 'invalid_token', status: 401 });
    expect(error.wwwAuthenticate).toMatch(/^DPoP realm="tenantgate", error="invalid_token", error_description="[^"]+", algs="ES256 /);
    expect(error.wwwAuthenticate).not.toMatch(/Bearer|Basic/);
    const missing = await refusal(auth.authenticate({}));
    expect(missing.wwwAuthenticate).toMatch(/^DPoP realm="tenantgate", algs="/);
    await expect(auth.authenticate(await dpopInput(await boundToken()))).resolves.toMatchObject({ tenant: 'tenant-1' });
    await auth.close();
  });

  it('refuses an unbound token with the DPoP scheme, a proof by another key, and a malformed cnf', async () => {
    const auth = createAuthenticator(options({ mode: 'allowed' }));
    const unbound = await issuer.sign({ sub: 'pref-reader-1' });
    expect(await refusal(auth.authenticate(await dpopInput(unbound)))).toMatchObject({ code: 'invalid_token', message: expect.stringMatching(/not bound/) });
    const token = await boundToken();
    const foreign = await refusal(auth.authenticate(await dpopInput(token, await proofFor(other, token))));
    expect(foreign).toMatchObject({ code: 'invalid_dpop_proof', message: expect.stringMatching(/another key/) });
    const malformed = await issuer.sign({ sub: 'pref-reader-1', cnf: 'jkt' });
    expect(await refusal(auth.authenticate({ authorization: `Bearer tenant-1:${malformed}` }))).toMatchObject({ code: 'invalid_token' });
    await auth.close();
  });

  it('refuses a request without its proof, with two proofs, or without the method and URL', async () => {
    const auth = createAuthenticator(options({ mode: 'allowed' }));
    const token = await boundToken();
    const proof = await proofFor(key, token);
    const cases = [
      { authorization: `DPoP tenant-1:${token}`, method: 'GET', url: URL_ },
      { authorization: `DPoP tenant-1:${token}`, dpop: [proof, proof], method: 'GET', url: URL_ },
      { authorization: `DPoP tenant-1:${token}`, dpop: `${proof}, ${proof}`, method: 'GET', url: URL_ },
      { authorization: `DPoP tenant-1:${token}`, dpop: proof },
    ];
    for (const input of cases) expect(await refusal(auth.authenticate(input))).toMatchObject({ code: 'invalid_dpop_proof', status: 401 });
    await auth.close();
  });

  it('refuses a proof for another URL or method, and never echoes the proof or token', async () => {
    const auth = createAuthenticator(options({ mode: 'allowed' }));
    const token = await boundToken();
    for (const claims of [{ htu: 'https://api.example.com/other' }, { htm: 'POST' }, { iat: Math.floor(Date.now() / 1000) - 3600 }, { ath: 'x' }]) {
      const proof = await proofFor(key, token, claims);
      const error = await refusal(auth.authenticate(await dpopInput(token, proof)));
      expect(error.code).toBe('invalid_dpop_proof');
      for (const secret of [proof, token, proof.split('.')[2] ?? '', token.split('.')[2] ?? '']) {
        expect(error.message).not.toContain(secret);
        expect(error.wwwAuthenticate).not.toContain(secret);
      }
    }
    await auth.close();
  });

  it('records proofs in a replay store of the user, and answers 503 when it fails or hangs', async () => {
    const seen = new Map<string, number>();
    const shared: ReplayStore = {
      seen: async (jti, untilMs) => {
        const known = seen.has(jti);
        seen.set(jti, untilMs);
        return known;
      },
    };
    const one = createAuthenticator(options({ mode: 'allowed', replayStore: shared }));
    const two = createAuthenticator(options({ mode: 'allowed', replayStore: shared }));
    const token = await boundToken();
    const input = await dpopInput(token);
    await one.authenticate(input);
    expect(await refusal(two.authenticate(input))).toMatchObject({ code: 'invalid_dpop_proof' });
    expect([...seen.values()][0]).toBeGreaterThan(Date.now());

    const failing = createAuthenticator(options({ mode: 'allowed', replayStore: { seen: () => Promise.reject(new Error('redis down')) } }));
    expect(await refusal(failing.authenticate(await dpopInput(token)))).toMatchObject({ code: 'replay_store_unavailable', status: 503 });
    const hanging = createAuthenticator(
      options({ mode: 'allowed', replayStore: { seen: () => new Promise<boolean>(() => undefined) } }, { jwks: { timeout: '200ms' } }),
    );
    await hanging.ready();
    expect(await refusal(hanging.authenticate(await dpopInput(token)))).toMatchObject({ code: 'replay_store_unavailable', retryAfter: 5 });
    await Promise.all([one.close(), two.close(), failing.close(), hanging.close()]);
  });

  it('checks its options at setup', () => {
    const bad: unknown[] = [
      { mode: 'sometimes' },
      { mode: 'allowed', algorithms: ['HS256'] },
      { mode: 'allowed', algorithms: [] },
      { mode: 'allowed', proofMaxAge: '10m' },
      { mode: 'allowed', replayStore: {} },
      { mode: 'allowed', replaystore: new Map() },
      'allowed',
    ];
    for (const dpop of bad) {
      expect(() => createAuthenticator(options(dpop as AuthenticatorOptions['dpop'])), JSON.stringify(dpop)).toThrow(ConfigError);
    }
    expect(() => createAuthenticator(optionsFor(issuer, { mtls: { mode: 'on' } as never }))).toThrow(/mtls\.mode/);
  });
});

describe('certificate-bound tokens (mTLS)', () => {
  let issuer: TestIssuer;
  let directory: string;
  let certificate: X509Certificate;
  let otherCertificate: X509Certificate;
  beforeAll(async () => {
    issuer = await createTestIssuer();
    directory = mkdtempSync(join(tmpdir(), 'tenantgate-mtls-'));
    const make = (name: string) => {
      execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-subj', `/CN=${name}`,
        '-keyout', join(directory, `${name}.key`), '-out', join(directory, `${name}.pem`), '-days', '1'], { stdio: 'ignore' });
      return new X509Certificate(readFileSync(join(directory, `${name}.pem`)));
    };
    certificate = make('client');
    otherCertificate = make('other');
  });
  afterAll(async () => {
    rmSync(directory, { recursive: true, force: true });
    await issuer.close();
  });

  const thumbprint = (cert: X509Certificate) => createHash('sha256').update(cert.raw).digest('base64url');

  it('accepts a bound token only with its certificate (PEM, DER or X509Certificate)', async () => {
    const auth = createAuthenticator(optionsFor(issuer, { ...READER, mtls: { mode: 'allowed' } }));
    const token = await issuer.sign({ sub: 'pref-reader-1', cnf: { 'x5t#S256': thumbprint(certificate) } });
    const authorization = `Bearer tenant-1:${token}`;
    for (const clientCertificate of [certificate, certificate.toString(), certificate.raw, encodeURIComponent(certificate.toString())]) {
      await expect(auth.authenticate({ authorization, clientCertificate })).resolves.toMatchObject({ tenant: 'tenant-1' });
    }
    expect(await refusal(auth.authenticate({ authorization, clientCertificate: otherCertificate }))).toMatchObject({ code: 'invalid_token' });
    expect(await refusal(auth.authenticate({ authorization }))).toMatchObject({ code: 'invalid_token' });
    expect(await refusal(auth.authenticate({ authorization, clientCertificate: 'not a certificate' }))).toMatchObject({ code: 'invalid_request' });
    // An unbound token needs no certificate in allowed mode, and is refused in required mode.
    const unbound = `Bearer tenant-1:${await issuer.sign({ sub: 'pref-reader-1' })}`;
    await expect(auth.authenticate({ authorization: unbound })).resolves.toMatchObject({ tenant: 'tenant-1' });
    const required = createAuthenticator(optionsFor(issuer, { ...READER, mtls: { mode: 'required' } }));
    expect(await refusal(required.authenticate({ authorization: unbound, clientCertificate: certificate }))).toMatchObject({ code: 'invalid_token' });
    await Promise.all([auth.close(), required.close()]);
  });
});

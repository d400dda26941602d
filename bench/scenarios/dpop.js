// dpop: a DPoP-bound token already verified and cached, each request with a fresh ES256 proof
// (a distinct jti, so none is a replay), against crypto.verify checking only the proof's
// signature with its key already imported: what checking a proof on every request costs.
// Proofs are signed before any timing; both sides get the same proofs, the same warm-up and
// the same rounds, interleaved.
import { createHash, createPublicKey, randomUUID, verify as cryptoVerify } from 'node:crypto';
import { calculateJwkThumbprint, exportJWK, generateKeyPair, SignJWT } from 'jose';
import { createAuthenticator } from 'tenantgate';
import { harness } from '../lib/harness.js';
import { issuers } from '../lib/issuers.js';
import { AUDIENCE, POLICY, S, SUB, TENANT } from '../lib/settings.js';
import { median, row, withRatios } from '../lib/stats.js';

const URL_ = 'https://metrics.example.com/api/v1/push';
const flat = (text) => Buffer.from(text, 'latin1').toString('latin1');

async function signProofs(count, key, token) {
  const ath = createHash('sha256').update(token).digest('base64url');
  const iat = Math.floor(Date.now() / 1000);
  const proofs = [];
  for (let i = 0; i < count; i += 256) {
    const batch = Array.from({ length: Math.min(256, count - i) }, () =>
      new SignJWT({ jti: randomUUID(), htm: 'POST', htu: URL_, iat, ath })
        .setProtectedHeader({ alg: 'ES256', typ: 'dpop+jwt', jwk: key.jwk })
        .sign(key.privateKey),
    );
    proofs.push(...(await Promise.all(batch)).map(flat));
  }
  return proofs;
}

export async function dpopScenario() {
  const issuer = issuers.ES256;
  const { privateKey, publicKey } = await generateKeyPair('ES256');
  const jwk = await exportJWK(publicKey);
  const key = { privateKey, jwk };
  const token = await issuer.sign({ sub: SUB, cnf: { jkt: await calculateJwkThumbprint(jwk) } }, { expiresIn: '2h' });
  const authorization = flat(`DPoP ${TENANT}:${token}`);
  // One proof per request, never reused: each window gets its own slice.
  const perWindow = S.dpopProofs;
  const windows = 1 + S.rounds;
  const proofs = await signProofs(perWindow * windows * 2, key, token);
  const slices = (offset) => Array.from({ length: windows }, (_, w) => proofs.slice(offset + w * perWindow, offset + (w + 1) * perWindow));
  const ours = slices(0);
  const theirs = slices(perWindow * windows);

  const auth = createAuthenticator({ issuerUrl: issuer.url, audience: AUDIENCE, algorithms: ['ES256'], ...POLICY, dpop: { mode: 'required' } });
  await auth.ready();
  const proofKey = createPublicKey({ key: jwk, format: 'jwk' });
  const implementations = {
    'tenantgate (cached token + proof)': (proof) => auth.authenticate({ authorization, dpop: proof, method: 'POST', url: URL_ }),
    'crypto.verify (proof signature only)': (proof) => {
      const dot = proof.lastIndexOf('.');
      const ok = cryptoVerify('sha256', Buffer.from(proof.slice(0, dot), 'latin1'), { key: proofKey, dsaEncoding: 'ieee-p1363' }, Buffer.from(proof.slice(dot + 1), 'base64url'));
      if (!ok) throw new Error('bad proof signature');
      return ok;
    },
  };
  const names = Object.keys(implementations);
  const slicesOf = { [names[0]]: ours, [names[1]]: theirs };
  // Window 0 warms up (and verifies and caches the token); the rounds follow, interleaved.
  for (const name of names) await harness(name, 'dpop').runTokens(implementations[name], slicesOf[name][0], 1);
  const samples = Object.fromEntries(names.map((name) => [name, []]));
  for (let round = 1; round <= S.rounds; round += 1) {
    for (const name of names) {
      global.gc();
      samples[name].push(await harness(name, 'dpop').runTokens(implementations[name], slicesOf[name][round], 1));
    }
  }
  await auth.close();
  return withRatios(
    names.map((name) => row('dpop ES256 proof', names[1], name, median(samples[name]), { samples: samples[name], proofs: perWindow })),
    names[1],
  );
}

#!/usr/bin/env node
// The three ways tenantgate could check one signature, side by side in one process: node:crypto's
// one-shot verify on the calling thread, its callback form (a job on libuv's thread pool, the
// path bursts take since 0.2), and WebCrypto's crypto.subtle.verify (also the pool; jose's path).
// 20,000 distinct signatures per run, one at a time and 64 at once, two rounds each.
// Usage: node scripts/measure-verify-pool.mjs [RS256|ES256]   (about 15 s here)
import { generateKeyPairSync, sign, verify, webcrypto } from 'node:crypto';

const alg = process.argv[2] ?? 'RS256';
const COUNT = 20_000;
const rsa = alg === 'RS256';
const pair = rsa ? generateKeyPairSync('rsa', { modulusLength: 2048 }) : generateKeyPairSync('ec', { namedCurve: 'P-256' });
const verifyKey = rsa ? pair.publicKey : { key: pair.publicKey, dsaEncoding: 'ieee-p1363' };
const signKey = rsa ? pair.privateKey : { key: pair.privateKey, dsaEncoding: 'ieee-p1363' };
const items = Array.from({ length: COUNT }, (_, index) => {
  const data = Buffer.from(`signing-input-${index}-${'x'.repeat(300)}`);
  return [data, sign('sha256', data, signKey)];
});
const subtleKey = await webcrypto.subtle.importKey(
  'jwk',
  pair.publicKey.export({ format: 'jwk' }),
  rsa ? { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' } : { name: 'ECDSA', namedCurve: 'P-256' },
  false,
  ['verify'],
);
const subtleParams = rsa ? { name: 'RSASSA-PKCS1-v1_5' } : { name: 'ECDSA', hash: 'SHA-256' };

const ways = {
  'sync verify': (data, signature) => verify('sha256', data, verifyKey, signature),
  'callback verify (pool)': (data, signature) =>
    new Promise((resolve, reject) => verify('sha256', data, verifyKey, signature, (error, ok) => (error ? reject(error) : resolve(ok)))),
  'crypto.subtle.verify (pool)': (data, signature) => webcrypto.subtle.verify(subtleParams, subtleKey, signature, data),
};

async function run(one, concurrency) {
  let next = 0;
  const started = process.hrtime.bigint();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < COUNT) {
        const [data, signature] = items[next++];
        const answer = one(data, signature);
        if (!(answer instanceof Promise ? await answer : answer)) throw new Error('a good signature was refused');
      }
    }),
  );
  return Math.round(COUNT / (Number(process.hrtime.bigint() - started) / 1e9));
}

for (let round = 1; round <= 2; round += 1) {
  for (const concurrency of [1, 64]) {
    for (const [name, one] of Object.entries(ways)) console.log(`${alg} round ${round} c${concurrency} ${name.padEnd(28)} ${await run(one, concurrency)}/s`);
  }
}

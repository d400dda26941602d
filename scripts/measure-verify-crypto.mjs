#!/usr/bin/env node
// Compares node:crypto's one-shot verify (synchronous, on the calling thread) with WebCrypto's
// crypto.subtle.verify (a job on libuv's thread pool, answered through a promise) for the
// signatures tenantgate checks on a first-seen token. Each round verifies TOKENS distinct
// tokens (distinct signing inputs, so no cache of any kind helps), once one at a time and once
// CONCURRENCY at a time (for the sync path, "at a time" changes nothing: each call blocks).
// Usage: node scripts/measure-verify-crypto.mjs [TOKENS]   (default 2000; RS256, PS256, ES256
//        and EdDSA; about 12 s here)
//        ALGS=ES384,ES512 node scripts/measure-verify-crypto.mjs 300   (P-384 and P-521 are ten to
//        twenty times slower: name them, with fewer tokens; about 20 s here)
import { constants, createPublicKey, generateKeyPairSync, sign, verify, webcrypto } from 'node:crypto';
import { cpus } from 'node:os';

const TOKENS = Number(process.argv[2] ?? 2000);
const CONCURRENCY = [1, 64];
const { subtle } = webcrypto;

const setups = {
  RS256: {
    pair: () => generateKeyPairSync('rsa', { modulusLength: 2048 }),
    hash: 'sha256',
    options: {},
    webcrypto: { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' },
    signing: { name: 'RSASSA-PKCS1-v1_5' },
  },
  PS256: {
    pair: () => generateKeyPairSync('rsa', { modulusLength: 2048 }),
    hash: 'sha256',
    options: { padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 },
    webcrypto: { name: 'RSA-PSS', hash: 'SHA-256' },
    signing: { name: 'RSA-PSS', saltLength: 32 },
  },
  ES256: {
    pair: () => generateKeyPairSync('ec', { namedCurve: 'P-256' }),
    hash: 'sha256',
    options: { dsaEncoding: 'ieee-p1363' },
    webcrypto: { name: 'ECDSA', namedCurve: 'P-256' },
    signing: { name: 'ECDSA', hash: 'SHA-256' },
  },
  ES384: {
    pair: () => generateKeyPairSync('ec', { namedCurve: 'P-384' }),
    hash: 'sha384',
    options: { dsaEncoding: 'ieee-p1363' },
    webcrypto: { name: 'ECDSA', namedCurve: 'P-384' },
    signing: { name: 'ECDSA', hash: 'SHA-384' },
  },
  ES512: {
    pair: () => generateKeyPairSync('ec', { namedCurve: 'P-521' }),
    hash: 'sha512',
    options: { dsaEncoding: 'ieee-p1363' },
    webcrypto: { name: 'ECDSA', namedCurve: 'P-521' },
    signing: { name: 'ECDSA', hash: 'SHA-512' },
  },
  EdDSA: {
    pair: () => generateKeyPairSync('ed25519'),
    hash: null,
    options: {},
    webcrypto: { name: 'Ed25519' },
    signing: { name: 'Ed25519' },
  },
};

const only = (process.env.ALGS ?? 'RS256,PS256,ES256,EdDSA').split(',');
console.log(`node ${process.version}, ${cpus().length} CPUs, UV_THREADPOOL_SIZE=${process.env.UV_THREADPOOL_SIZE ?? '4 (default)'}, ${TOKENS} tokens per round`);
console.log('| alg | path | concurrency | verifications/s | µs each (wall) |\n| --- | --- | ---: | ---: | ---: |');
for (const [alg, setup] of Object.entries(setups)) {
  if (!only.includes(alg)) continue;
  const { publicKey, privateKey } = setup.pair();
  const jwk = publicKey.export({ format: 'jwk' });
  const keyObject = createPublicKey({ key: jwk, format: 'jwk' });
  const cryptoKey = await subtle.importKey('jwk', jwk, setup.webcrypto, false, ['verify']);
  const corpus = Array.from({ length: TOKENS }, (_, i) => {
    const input = Buffer.from(`eyJhbGciOiJ${alg}.${Buffer.from(JSON.stringify({ sub: `user-${i}`, exp: 2e9, n: Math.random() })).toString('base64url')}`);
    return { input, signature: sign(setup.hash, input, { key: privateKey, ...setup.options }) };
  });
  const sync = () => {
    for (const { input, signature } of corpus) {
      if (!verify(setup.hash, input, { key: keyObject, ...setup.options }, signature)) throw new Error('bad');
    }
  };
  const viaPool = async (concurrency) => {
    let next = 0;
    const worker = async () => {
      while (next < corpus.length) {
        const { input, signature } = corpus[next++];
        if (!(await subtle.verify(setup.signing, cryptoKey, signature, input))) throw new Error('bad');
      }
    };
    await Promise.all(Array.from({ length: concurrency }, worker));
  };
  // tenantgate's `auto`: in each turn of the event loop the first check runs synchronously and
  // the others of the turn go to the pool (src/token/burst.ts). Here a turn starts `concurrency`
  // checks at once and the next turn waits for them, which understates a server's pipelining.
  const auto = async (concurrency) => {
    for (let start = 0; start < corpus.length; start += concurrency) {
      const turn = corpus.slice(start, start + concurrency).map(({ input, signature }, index) =>
        index === 0
          ? verify(setup.hash, input, { key: keyObject, ...setup.options }, signature)
          : subtle.verify(setup.signing, cryptoKey, signature, input),
      );
      if (!(await Promise.all(turn)).every(Boolean)) throw new Error('bad');
      await new Promise((resolve) => setImmediate(resolve));
    }
  };
  // One warm-up round each, then the best of three (the machine is shared).
  const time = async (run) => {
    await run();
    let best = Infinity;
    for (let round = 0; round < 3; round += 1) {
      const started = process.hrtime.bigint();
      await run();
      best = Math.min(best, Number(process.hrtime.bigint() - started) / 1e3);
    }
    return best;
  };
  for (const concurrency of CONCURRENCY) {
    const paths = [
      ['node:crypto verify (sync)', async () => sync()],
      ['crypto.subtle.verify (pool)', () => viaPool(concurrency)],
      ['auto (1 sync per turn, rest pool)', () => auto(concurrency)],
    ];
    for (const [path, run] of paths) {
      const micros = await time(run);
      console.log(`| ${alg} | ${path} | ${concurrency} | ${Math.round((TOKENS / micros) * 1e6).toLocaleString('en')} | ${(micros / TOKENS).toFixed(1)} |`);
    }
  }
}

// Signing tokens, and the pools of signed tokens the micro and HTTP scenarios draw from.
// Everything is signed before any timing.
import { issuers } from './issuers.js';
import { S, SUB, TENANT, ZIPF_S, ALGS } from './settings.js';
import { zipfDraws } from './zipf.js';

export async function signMany(issuer, count, claims = (i) => ({ jti: `t${i}` }), options = {}) {
  const tokens = new Array(count);
  const BATCH = 256; // WebCrypto signs on the libuv pool: a batch keeps both cores busy
  for (let i = 0; i < count; i += BATCH) {
    const n = Math.min(BATCH, count - i);
    const batch = await Promise.all(
      Array.from({ length: n }, (_, j) => issuer.sign({ sub: SUB, ...claims(i + j) }, { expiresIn: '2h', ...options })),
    );
    for (let j = 0; j < n; j += 1) tokens[i + j] = batch[j];
  }
  return tokens;
}

// What a verifier is handed: the compact JWT for the peers, the Authorization header value
// for tenantgate. Both are built before any timing as flat strings, the way a server gets
// them from its HTTP parser (a concatenated string would be copied on first use, in the timing).
const flat = (text) => Buffer.from(text, 'latin1').toString('latin1');
const item = (token) => ({ token: flat(token), header: flat(`Bearer ${TENANT}:${token}`) });

/** Per algorithm: hot, warm, pool, wrongAud, wrongIss (filled by signPools). */
export const tokens = {};
// Distinct tokens: pool[0 .. coldTokens) for the cold scenario, and the mixed scenario's set of
// mixedDistinct ranks, of which only the ranks its stream draws are signed (the same for both).
export const MIXED_RANKS = zipfDraws(S.mixedDistinct, S.mixedDraws, ZIPF_S, 42);
async function signPool(issuer) {
  const needed = new Set(MIXED_RANKS);
  for (let i = 0; i < S.coldTokens; i += 1) needed.add(i);
  const indexes = [...needed];
  const signed = await signMany(issuer, indexes.length, (i) => ({ jti: `p${indexes[i]}` }));
  const pool = new Array(Math.max(S.mixedDistinct, S.coldTokens));
  indexes.forEach((index, i) => {
    pool[index] = item(signed[i]);
  });
  return pool;
}

export async function signPools() {
  for (const alg of ALGS) {
    const issuer = issuers[alg];
    tokens[alg] = {
      hot: item(await issuer.sign({ sub: SUB }, { expiresIn: '2h' })),
      warm: (await signMany(issuer, S.warmTokens, (i) => ({ jti: `w${i}` }))).map(item),
      pool: await signPool(issuer),
      wrongAud: item(await issuer.sign({ sub: SUB, aud: 'another-api' })),
      wrongIss: item(await issuer.sign({ sub: SUB, iss: 'http://127.0.0.1:9/not-the-issuer' })),
    };
  }
}

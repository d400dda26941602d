// jwks: how many JWKS fetches a flood of tokens with unknown kids causes (each implementation
// with its documented or default refetch limit), and the latency of the first request from a
// cold start (discovery, JWKS fetch and verify against a fresh issuer).
import { randomBytes } from 'node:crypto';
import { createRequire } from 'node:module';

import { createRemoteJWKSet, jwtVerify } from 'jose';
import { createAuthenticator } from 'tenantgate';
import { createTestIssuer } from 'tenantgate/testing';

import { hr, sleep } from '../lib/clock.js';
import { issuers } from '../lib/issuers.js';
import { log } from '../lib/log.js';
import { AUDIENCE, POLICY, S, SUB, TENANT } from '../lib/settings.js';
import { median, percentile } from '../lib/stats.js';
import { tokens } from '../lib/tokens.js';

// jwks-rsa and get-jwks (CommonJS) are required only when their flooder is created.
const require = createRequire(import.meta.url);

/**
 * Sends `count` requests spread evenly over `windowMs`, at most `maxInFlight` at a time, and
 * waits for stragglers up to `graceMs` after the window. Returns what happened.
 */
async function paced(count, windowMs, maxInFlight, graceMs, hit) {
  let launched = 0;
  let inFlight = 0;
  let accepted = 0;
  let refused = 0;
  const started = performance.now();
  const launch = (i) => {
    inFlight += 1;
    hit(i).then(
      () => {
        accepted += 1;
        inFlight -= 1;
      },
      () => {
        refused += 1; // expected: no published key has this kid
        inFlight -= 1;
      },
    );
  };
  for (;;) {
    const elapsed = performance.now() - started;
    const due = Math.min(count, Math.floor((elapsed / windowMs) * count) + 1);
    while (launched < due && inFlight < maxInFlight) launch(launched++);
    if (launched === count || elapsed > windowMs + graceMs) break;
    await sleep(1);
  }
  while (inFlight > 0 && performance.now() - started < windowMs + graceMs) await sleep(5);
  return { sent: launched, accepted, refused, stalled: inFlight, seconds: (performance.now() - started) / 1000 };
}

export async function floodScenario() {
  const alg = 'ES256';
  const issuer = issuers[alg];
  // Valid signatures whose header names a random kid the issuer never published.
  const flood = [];
  for (let i = 0; i < S.jwksFlood; i += 256) {
    const n = Math.min(256, S.jwksFlood - i);
    flood.push(
      ...(await Promise.all(
        Array.from({ length: n }, (_, j) =>
          issuer.sign({ sub: SUB, jti: `k${i + j}` }, { expiresIn: '2h', header: { kid: randomBytes(12).toString('base64url') } }),
        ),
      )),
    );
  }
  const headers = flood.map((token) => `Bearer ${TENANT}:${token}`);
  const kidsOf = flood.map((token) => JSON.parse(Buffer.from(token.split('.')[0], 'base64url')).kid);
  const tenantgateFlooder = (cooldown) => async () => {
    const auth = createAuthenticator({
      issuerUrl: issuer.url,
      audience: AUDIENCE,
      ...POLICY,
      ...(cooldown === undefined ? {} : { jwks: { cooldown } }),
    });
    await auth.ready();
    return { hit: (i) => auth.authenticate({ authorization: headers[i] }), close: () => auth.close() };
  };
  const joseFlooder = (cooldownDuration) => async () => {
    const jwks = createRemoteJWKSet(new URL(issuer.jwksUri), cooldownDuration === undefined ? {} : { cooldownDuration });
    const options = { issuer: issuer.url, audience: AUDIENCE, algorithms: [alg] };
    await jwtVerify(tokens[alg].hot.token, jwks, options);
    return { hit: (i) => jwtVerify(flood[i], jwks, options), close() {} };
  };
  const flooders = [
    { name: 'tenantgate', label: 'tenantgate, jwks.cooldown 30s (default)', cooldownS: 30, create: tenantgateFlooder(undefined) },
    { name: 'tenantgate (cooldown 1s)', label: 'tenantgate, jwks.cooldown 1s', cooldownS: 1, create: tenantgateFlooder('1s') },
    { name: 'jose', label: 'jose createRemoteJWKSet, cooldown 30s (default)', cooldownS: 30, create: joseFlooder(undefined) },
    { name: 'jose (cooldown 1s)', label: 'jose createRemoteJWKSet, cooldownDuration 1s', cooldownS: 1, create: joseFlooder(1000) },
    {
      name: 'jwks-rsa',
      label: 'jwks-rsa, cache + rateLimit 5/min (README)',
      cooldownS: 12,
      async create() {
        const jwksRsa = require('jwks-rsa');
        const client = jwksRsa({ jwksUri: issuer.jwksUri, cache: true, rateLimit: true, jwksRequestsPerMinute: 5 });
        await client.getSigningKey(issuer.kids[0]);
        return { hit: (i) => client.getSigningKey(kidsOf[i]), close() {} };
      },
    },
    {
      name: 'get-jwks',
      label: 'get-jwks, providerDiscovery (defaults)',
      cooldownS: null,
      async create() {
        const buildGetJwks = require('get-jwks');
        const getJwks = buildGetJwks({ providerDiscovery: true, issuersWhitelist: [issuer.url] });
        await getJwks.getPublicKey({ kid: issuer.kids[0], domain: issuer.url, alg });
        return { hit: (i) => getJwks.getPublicKey({ kid: kidsOf[i], domain: issuer.url, alg }), close() {} };
      },
    },
  ];
  const rows = [];
  const windowMs = S.jwksWindowS * 1000;
  for (const flooder of flooders) {
    const instance = await flooder.create();
    issuer.resetRequests();
    const outcome = await paced(flood.length, windowMs, 64, S.jwksGraceS * 1000, instance.hit);
    const fetches = issuer.requests.jwks;
    const allowed = flooder.cooldownS === null ? null : Math.floor(outcome.seconds / flooder.cooldownS) + 1;
    rows.push({
      scenario: 'jwks flood',
      implementation: flooder.name,
      label: flooder.label,
      requests: flood.length,
      ...outcome,
      jwksFetches: fetches,
      discoveryFetches: issuer.requests.discovery,
      cooldownS: flooder.cooldownS,
      allowedByCooldown: allowed,
    });
    log(
      `jwks flood ${flooder.name}: ${fetches} JWKS fetches; ${outcome.sent} sent, ${outcome.refused} refused, ${outcome.stalled} still waiting after ${outcome.seconds.toFixed(1)} s`,
    );
    await instance.close();
  }
  return rows;
}

export async function firstRequestScenario() {
  // A fresh issuer (new port, so no pooled connection) per measurement and per implementation.
  const samples = { tenantgate: [], jose: [] };
  for (let rep = 0; rep < S.firstRequestReps; rep += 1) {
    {
      const issuer = await createTestIssuer({ algorithms: ['ES256'], audience: AUDIENCE });
      const token = await issuer.sign({ sub: SUB });
      const auth = createAuthenticator({ issuerUrl: issuer.url, audience: AUDIENCE, ...POLICY });
      const started = hr();
      await auth.authenticate({ authorization: `Bearer ${TENANT}:${token}` }); // discovery + JWKS + verify
      samples.tenantgate.push(Number(hr() - started) / 1e6);
      if (issuer.requests.discovery !== 1 || issuer.requests.jwks !== 1) throw new Error('expected one discovery and one JWKS fetch');
      await auth.close();
      await issuer.close();
    }
    {
      const issuer = await createTestIssuer({ algorithms: ['ES256'], audience: AUDIENCE });
      const token = await issuer.sign({ sub: SUB });
      const started = hr();
      const jwks = createRemoteJWKSet(new URL(issuer.jwksUri)); // JWKS only: jose has no discovery
      await jwtVerify(token, jwks, { issuer: issuer.url, audience: AUDIENCE, algorithms: ['ES256'] });
      samples.jose.push(Number(hr() - started) / 1e6);
      await issuer.close();
    }
  }
  return Object.entries(samples).map(([name, values]) => ({
    scenario: 'first request',
    implementation: name,
    label: name === 'tenantgate' ? 'new authenticator: discovery + JWKS + verify' : 'new createRemoteJWKSet: JWKS + verify (no discovery)',
    reps: values.length,
    medianMs: median(values),
    p90Ms: percentile(values, 90),
    maxMs: Math.max(...values),
    firstMs: values[0],
    samplesMs: values,
  }));
}

// One run against the hostile issuer: a fresh server (no pooled connection carries over from
// another case), a fresh authenticator, one or more waves of validly signed tokens, and
// everything measured that the hostile-issuer scenarios put bounds on.
import { performance } from 'node:perf_hooks';
import { createHostileIssuer } from '../hostile-issuer.js';
import { createGuardedFetch } from './guarded-fetch.js';
import { collectGarbageWhilePending, settleWithin } from './scenario.js';
import { AuthError, authOptions, bearer, createAuthenticator } from './tenantgate.js';

let fetchWarmed = false;

/** Most characters `status().issuers[].lastError` may have (contract rule 25). */
export const MAX_ERROR_TEXT = 200;

/** Whether an operator-facing text is short, on one line and free of control characters. */
export function tidyText(text) {
  return typeof text === 'string' && text.length > 0 && text.length <= MAX_ERROR_TEXT && !/[\u0000-\u001f\u007f]/.test(text);
}

/**
 * options: keys, modes { discovery, jwks }, timeout (option string, or undefined for the
 * default), timeoutMs (its value), guard (fetch through the loopback guard), waves (sizes,
 * default [1]), collectGarbage (default true).
 */
export async function hostileCase(options) {
  const { keys, modes, timeout, timeoutMs, guard = false, waves = [1], collectGarbage = true } = options;
  // Discovery and JWKS are fetched one after the other, each under the timeout.
  const boundMs = timeoutMs * 2 + 1000;
  const giveUpMs = boundMs + 3000;
  const issuer = await createHostileIssuer({ keys });
  if (!fetchWarmed) {
    // Node loads its fetch implementation on first use, which on a busy machine can take
    // longer than a 200 ms timeout: done once here, so that the cases measure the library.
    await fetch(`${issuer.url}/elsewhere/discovery`).then((response) => response.text());
    issuer.resetCounters();
    fetchWarmed = true;
  }
  issuer.setModes(modes);
  const guarded = guard ? createGuardedFetch() : undefined;
  const skipped = [];
  const auth = createAuthenticator(
    authOptions(issuer.url, issuer.audience, {
      ...(timeout === undefined ? {} : { jwks: { timeout } }),
      ...(guarded === undefined ? {} : { fetch: guarded.fetch }),
      onEvent: (event) => {
        if (event.type === 'key_skipped') skipped.push(event.reason);
      },
    }),
  );
  const record = {
    boundMs,
    waves: [],
    collections: 0,
    requests: undefined,
    bytesSent: undefined,
    status: undefined,
    skipped,
    guardRefused: [],
    heldClosed: true,
    settledByClose: 0,
    closeMs: 0,
  };
  const unsettled = [];
  try {
    for (const size of waves) {
      const before = { ...issuer.requests };
      const tokens = Array.from({ length: size }, () => issuer.token());
      const wave = { size, settled: 0, maxMs: 0, codes: {}, others: [], accepted: 0, fetches: 0 };
      const started = performance.now();
      const calls = tokens.map((token) =>
        auth.authenticate({ authorization: bearer(token) }).then(
          () => {
            wave.settled += 1;
            wave.accepted += 1;
            wave.maxMs = Math.max(wave.maxMs, performance.now() - started);
          },
          (error) => {
            wave.settled += 1;
            wave.maxMs = Math.max(wave.maxMs, performance.now() - started);
            if (error instanceof AuthError) {
              const key = `${error.status} ${error.code}`;
              wave.codes[key] = (wave.codes[key] ?? 0) + 1;
            } else {
              wave.others.push(error);
            }
          },
        ),
      );
      const all = Promise.all(calls);
      const gc = collectGarbage ? collectGarbageWhilePending(all) : undefined;
      const outcome = await settleWithin(all, giveUpMs);
      gc?.stop();
      record.collections += gc?.collections ?? 0;
      if (!outcome.settled) unsettled.push(all);
      wave.hung = size - wave.settled;
      wave.discovery = issuer.requests.discovery - before.discovery;
      wave.jwks = issuer.requests.jwks - before.jwks;
      record.waves.push(wave);
    }
    record.status = auth.status().issuers[0];
    // The library's own deadline must drop the hostile connection, before close().
    record.heldClosed = await issuer.heldClosedWithin(1000);
  } finally {
    const closing = performance.now();
    await auth.close();
    record.closeMs = performance.now() - closing;
    for (const pending of unsettled) {
      const after = await settleWithin(pending, 1000);
      if (after.settled) record.settledByClose += 1;
    }
    record.requests = { ...issuer.requests };
    record.bytesSent = { ...issuer.bytesSent };
    record.guardRefused = guarded?.refused ?? [];
    await issuer.close();
  }
  return record;
}

/** A wave's outcome in a few words, such as `503 issuer_unavailable ×100`. */
export function describeCodes(wave) {
  const parts = Object.entries(wave.codes).map(([code, count]) => (count > 1 ? `${code} ×${count}` : code));
  if (wave.accepted) parts.push(`accepted ×${wave.accepted}`);
  if (wave.others.length) parts.push(`non-AuthError ×${wave.others.length}`);
  if (wave.hung) parts.push(`HUNG ×${wave.hung} (past the bound; settled only by close())`);
  return parts.join(', ');
}

/** Whether every call of the wave was refused with an AuthError of status 503 or 401. */
export function refusedProperly(wave) {
  return (
    wave.hung === 0 &&
    wave.accepted === 0 &&
    wave.others.length === 0 &&
    Object.keys(wave.codes).every((code) => code.startsWith('503 ') || code.startsWith('401 '))
  );
}

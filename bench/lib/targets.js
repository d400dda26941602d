// The targets of issue 8, evaluated on the results of a run. A run of some scenarios only
// (run.js <scenario>...) gets the targets of those scenarios only.
import { HTTP_VARIANTS } from '../scenarios/http.js';
import { ALGS, S } from './settings.js';

const find = (rows, scenario, implementation) => rows.find((r) => r.scenario === scenario && r.implementation === implementation);

/** `ran` is the set of scenario names that ran; returns [{ name, goal, measured, pass }]. */
export function evaluateTargets(results, ran) {
  const targets = [];
  const target = (name, goal, measured, pass) => targets.push({ name, goal, measured, pass });
  if (ran.has('hot')) {
    for (const alg of ALGS) {
      const ours = find(results.hot, `hot ${alg}`, 'tenantgate');
      target(`hot ${alg}: throughput`, '>= 1,000,000 ops/s', `${Math.round(ours.opsPerSec).toLocaleString('en-US')} ops/s`, ours.opsPerSec >= 1e6);
      target(`hot ${alg}: vs fast-jwt (cache)`, '>= 2.5x', `${ours.ratio.toFixed(2)}x`, ours.ratio >= 2.5);
    }
  }
  if (ran.has('cold')) {
    for (const alg of ALGS) {
      const ours = find(results.cold, `cold ${alg} c64`, 'tenantgate');
      target(`cold ${alg} c64: vs jose`, '>= 0.9x', `${ours.ratio.toFixed(2)}x`, ours.ratio >= 0.9);
    }
  }
  if (ran.has('dpop')) {
    const ours = results.dpop.find((r) => r.implementation.startsWith('tenantgate'));
    target('dpop ES256: cached token + fresh proof vs crypto.verify of the proof', '>= 0.8x', `${ours.ratio.toFixed(2)}x`, ours.ratio >= 0.8);
  }
  if (ran.has('http')) {
    for (const framework of Object.keys(HTTP_VARIANTS)) {
      const rows = results.http.filter((r) => r.scenario === `http ${framework}`);
      const ours = rows.find((r) => r.implementation === 'tenantgate');
      if (framework !== 'koa') {
        target(`http ${framework}: vs no auth`, '>= 0.9x', `${ours.ratio.toFixed(2)}x`, ours.ratio >= 0.9 && ours.valid);
      }
      const peers = rows.filter((r) => !['tenantgate', 'none', 'noop'].includes(r.implementation));
      const best = peers.reduce((a, b) => (b.opsPerSec > a.opsPerSec ? b : a));
      target(
        `http ${framework}: ahead of every peer`,
        `> best peer (${best.implementation})`,
        `${(ours.opsPerSec / best.opsPerSec).toFixed(2)}x ${best.implementation}`,
        peers.every((p) => ours.opsPerSec > p.opsPerSec) && ours.valid,
      );
    }
  }
  if (ran.has('memory')) {
    target(
      `memory: heap growth after ${S.memoryTokens.toLocaleString('en-US')} tokens`,
      '< 64 MiB',
      `${results.memory.heapGrowthMiB.toFixed(1)} MiB`,
      results.memory.heapGrowthMiB < 64,
    );
  }
  if (ran.has('jwks')) {
    for (const ours of results.jwks.flood.filter((r) => r.implementation.startsWith('tenantgate'))) {
      target(
        `jwks flood: ${ours.label}`,
        `<= 1 fetch per cooldown (${ours.allowedByCooldown} in ${ours.seconds.toFixed(1)} s)`,
        `${ours.jwksFetches} fetch(es), ${ours.stalled} stalled`,
        ours.jwksFetches <= ours.allowedByCooldown && ours.stalled === 0 && ours.sent === ours.requests,
      );
    }
    const first = results.jwks.firstRequest.find((r) => r.implementation === 'tenantgate');
    target('jwks: first request from cold (median)', '< 50 ms', `${first.medianMs.toFixed(1)} ms (max ${first.maxMs.toFixed(1)} ms)`, first.medianMs < 50);
  }
  return targets;
}

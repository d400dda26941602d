// The report on stdout: the throughput table (hot, cold, mixed, http), the memory, JWKS flood
// and first-request figures, the targets, and the CPU time stolen from the run.
import { QUICK, S } from './settings.js';

const fmt = (n) => Math.round(n).toLocaleString('en-US');
const detailOf = (r) => {
  if (r.serverCpuUsPerRequest !== undefined) return `server CPU ${r.serverCpuUsPerRequest.toFixed(1)} µs/request`;
  if (r.drawsDone !== undefined) {
    const least = Math.min(...r.drawsDone);
    return least < r.draws ? `time cap: ${fmt(least)} of ${fmt(r.draws)} requests` : '';
  }
  return '';
};

/**
 * Prints the report of `output` (see results-file.js). `ran` is the set of scenarios that ran:
 * the sections of the others are left out. `wrote` says whether results.json was written.
 */
export function printReport(output, ran, wrote) {
  const { scenarios: results, targets } = output;
  const table = [['scenario', 'implementation', 'ops/s', 'ratio', 'reference', 'detail']];
  for (const r of [...results.hot, ...results.cold, ...results.mixed, ...(results.dpop ?? []), ...results.http]) {
    table.push([
      r.scenario,
      r.label && r.scenario.startsWith('http') ? r.label : r.implementation,
      fmt(r.opsPerSec),
      r.ratio == null ? '' : `${r.ratio.toFixed(2)}x`,
      r.reference,
      detailOf(r),
    ]);
  }
  const widths = table[0].map((_, c) => Math.max(...table.map((r) => String(r[c]).length)));
  const line = (r) =>
    r
      .map((cell, c) => (c === 2 || c === 3 ? String(cell).padStart(widths[c]) : String(cell).padEnd(widths[c])))
      .join('  ')
      .trimEnd();
  console.log(`\ntenantgate benchmarks (${output.mode} mode) — ${output.machine.cpus.count} x ${output.machine.cpus.model}, Node ${output.machine.node}\n`);
  if (table.length > 1) {
    console.log(line(table[0]));
    console.log(widths.map((w) => '-'.repeat(w)).join('  '));
    for (const r of table.slice(1)) console.log(line(r));
  }

  if (ran.has('memory')) {
    const m = results.memory;
    console.log(
      `\nmemory (tenantgate, default options, ${fmt(m.tokens)} distinct ${m.algorithm} tokens): heap ${m.heapUsedBeforeMiB.toFixed(1)} -> ${m.heapUsedAfterMiB.toFixed(1)} MiB (+${m.heapGrowthMiB.toFixed(1)}), RSS ${m.rssBeforeMiB.toFixed(1)} -> ${m.rssAfterMiB.toFixed(1)} MiB (+${m.rssGrowthMiB.toFixed(1)}), peak RSS ${m.peakRssMiB.toFixed(1)} MiB`,
    );
  }
  if (ran.has('jwks')) printJwks(results.jwks);
  console.log('\ntargets (issue 8):');
  for (const t of targets) console.log(`  ${t.pass ? 'PASS' : 'FAIL'}  ${t.name.padEnd(48)} ${t.goal.padEnd(40)} measured ${t.measured}`);
  {
    const stolen = Object.entries(output.stealShare).filter(([, share]) => share !== null);
    if (stolen.length > 0) {
      console.log(`\nCPU time stolen by the hypervisor (other guests on the host): ${stolen.map(([name, share]) => `${name} ${(100 * share).toFixed(1)}%`).join(', ')}`);
    }
  }
  if (QUICK) console.log(`\nquick mode: ${fmt(S.memoryTokens)} tokens in the memory scenario (1,000,000 in a full run), shorter windows, one round.`);
  if (wrote) {
    console.log(`\nwrote bench/results.json (${output.durationS.toFixed(0)} s)`);
  } else {
    console.log(`\nbench/results.json left as it was: only ${[...ran].join(', ')} ran (${output.durationS.toFixed(0)} s)`);
  }
}

function printJwks(jwks) {
  console.log(`\nJWKS flood (${S.jwksFlood.toLocaleString('en-US')} random unknown kids spread over ${S.jwksWindowS} s, at most 64 in flight):`);
  for (const r of jwks.flood) {
    console.log(
      `  ${r.label.padEnd(48)} ${String(r.jwksFetches).padStart(6)} JWKS fetches, ${String(r.discoveryFetches).padStart(5)} discovery; ${r.sent} sent, ${r.refused} refused, ${r.stalled} stalled, ${r.seconds.toFixed(1)} s`,
    );
  }
  console.log('first request from a cold start (fresh issuer on loopback each time):');
  for (const r of jwks.firstRequest) {
    console.log(`  ${r.label.padEnd(56)} median ${r.medianMs.toFixed(1)} ms, p90 ${r.p90Ms.toFixed(1)} ms, max ${r.maxMs.toFixed(1)} ms (${r.reps} reps)`);
  }
}

// tenantgate benchmarks against its peers. See docs/performance.md and README.md here.
//
//   npm run bench                    full run (several minutes)
//   npm run bench -- --quick         short run (under 2 minutes), smaller counts, stated in the output
//   node --expose-gc run.js hot cold only these scenarios (in the usual order); results.json is
//                                    then left as it was
//
// Every implementation verifies the same RS256 and ES256 tokens from the same local issuers
// (createTestIssuer from tenantgate/testing) with the same iss / aud / alg / exp checks, gets
// the same warm-up and the same iteration counts or time, and is measured in the same run.
//
// The data flow of a run: issuers and keys (lib/issuers.js) -> memory -> token pools
// (lib/tokens.js) -> sanity checks of the implementations (lib/implementations.js) -> hot ->
// cold -> mixed -> dpop -> introspection -> http -> jwks (scenarios/*.js, each phase timed by
// lib/phases.js) -> targets (lib/targets.js) -> results.json (lib/results-file.js) -> the report
// on stdout (lib/report.js, then the introspection section of scenarios/introspection.js).
import { hr } from './lib/clock.js';
import { sanityCheck } from './lib/implementations.js';
import { closeIssuers, createIssuers, fetchKeys } from './lib/issuers.js';
import { log } from './lib/log.js';
import { phase } from './lib/phases.js';
import { printReport } from './lib/report.js';
import { resultsDocument, writeResults } from './lib/results-file.js';
import { ALGS, QUICK, S } from './lib/settings.js';
import { evaluateTargets } from './lib/targets.js';
import { signPools } from './lib/tokens.js';
import { coldScenario } from './scenarios/cold.js';
import { dpopScenario } from './scenarios/dpop.js';
import { hotScenario } from './scenarios/hot.js';
import { introspectionScenario, printIntrospection } from './scenarios/introspection.js';
import { HTTP_VARIANTS, httpScenario } from './scenarios/http.js';
import { floodScenario, firstRequestScenario } from './scenarios/jwks.js';
import { memoryScenario } from './scenarios/memory.js';
import { mixedScenario } from './scenarios/mixed.js';

// The scenarios in the order they run, whichever order they are named in.
const SCENARIOS = ['memory', 'hot', 'cold', 'mixed', 'dpop', 'introspection', 'http', 'jwks'];
const named = process.argv.slice(2).filter((arg) => !arg.startsWith('--'));
const unknown = named.filter((name) => !SCENARIOS.includes(name));
if (unknown.length > 0) {
  console.error(`unknown scenario ${unknown.join(', ')}; the scenarios are ${SCENARIOS.join(', ')}`);
  process.exit(2);
}
const ran = new Set(named.length > 0 ? SCENARIOS.filter((name) => named.includes(name)) : SCENARIOS);

if (typeof global.gc !== 'function') {
  console.error('run with node --expose-gc (npm run bench does)');
  process.exit(2);
}

const benchStarted = hr();
log(QUICK ? 'quick mode' : 'full mode', JSON.stringify(S));
await createIssuers();
await fetchKeys();

const results = { hot: [], cold: [], mixed: [], dpop: [], introspection: null, http: [], memory: null, jwks: { flood: [], firstRequest: [] } };
// Memory first, so that its RSS figures are not blurred by what the other scenarios allocated.
if (ran.has('memory')) {
  log(`memory: ${S.memoryTokens.toLocaleString('en-US')} distinct ES256 tokens through tenantgate...`);
  results.memory = await phase('memory', memoryScenario);
}
// Every scenario but memory verifies tokens of the pools.
if ([...ran].some((name) => name !== 'memory')) {
  await phase('signing token pools', signPools);
  await phase('sanity checks', sanityCheck);
}
if (ran.has('hot')) {
  await phase('hot', async () => {
    for (const alg of ALGS) results.hot.push(...(await hotScenario(alg)));
  });
}
if (ran.has('cold')) {
  await phase('cold', async () => {
    for (const alg of ALGS) for (const concurrency of [1, 64]) results.cold.push(...(await coldScenario(alg, concurrency)));
  });
}
if (ran.has('mixed')) {
  await phase('mixed', async () => {
    for (const alg of ALGS) results.mixed.push(...(await mixedScenario(alg)));
  });
}
if (ran.has('dpop')) {
  results.dpop = await phase('dpop', dpopScenario);
}
if (ran.has('introspection')) {
  results.introspection = await phase('introspection', introspectionScenario);
}
if (ran.has('http')) {
  await phase('http', async () => {
    for (const framework of Object.keys(HTTP_VARIANTS)) results.http.push(...(await httpScenario(framework)));
  });
}
if (ran.has('jwks')) {
  results.jwks.flood = await phase('jwks flood', floodScenario);
  results.jwks.firstRequest = await phase('first request', firstRequestScenario);
}

await closeIssuers();

const targets = evaluateTargets(results, ran);
const output = resultsDocument(results, targets, benchStarted);
// A partial run must not replace the results of a full one.
const complete = ran.size === SCENARIOS.length;
if (complete) writeResults(output);
printReport(output, ran, complete);
if (ran.has('introspection')) printIntrospection(results.introspection);
// Peers may leave timers behind (jwks-rsa's rate limiter holds stalled requests).
process.exit(0);

// A hung or dripping issuer with default options (jwks.timeout 5 s), garbage collected every
// 25 ms while the fetch is pending: the refusal must come within 2 × 5 s + 1 s. This is the
// Node 20 trap of AbortSignal.any([signal, AbortSignal.timeout(ms)]): after a collection the
// timeout may never fire (contract rule 22).
import { makeHostileKeys } from '../hostile-issuer.js';
import { describeCodes, hostileCase, refusedProperly, tidyText } from '../lib/hostile-case.js';
import { formatMs, runScenario } from '../lib/scenario.js';

const DEFAULT_TIMEOUT_MS = 5000;

runScenario('hostile-issuer-default-timeout', { short: 100_000, long: 300_000 }, async (ctx) => {
  const keys = makeHostileKeys();
  const modes = ctx.long ? ['hang', 'drip', 'drip-head'] : ['hang', 'drip'];
  const cases = modes.flatMap((mode) => [{ discovery: mode }, { jwks: mode }]);
  for (const endpointModes of cases) {
    const [endpoint, mode] = Object.entries(endpointModes)[0];
    const label = `${endpoint}:${mode}`;
    const record = await hostileCase({ keys, modes: endpointModes, timeout: undefined, timeoutMs: DEFAULT_TIMEOUT_MS });
    const [wave] = record.waves;
    ctx.figure(label, `${describeCodes(wave)} in ${formatMs(wave.maxMs)}; gc() ×${record.collections} while pending`);
    ctx.check(`${label}: refused 503/401, no hang`, refusedProperly(wave), describeCodes(wave));
    ctx.check(`${label}: settled within ${formatMs(record.boundMs)}`, wave.hung === 0 && wave.maxMs <= record.boundMs, formatMs(wave.maxMs));
    // The default timeout, not something shorter, must be what ends the wait.
    ctx.check(`${label}: waited the default timeout (>= ${formatMs(DEFAULT_TIMEOUT_MS - 100)})`, wave.maxMs >= DEFAULT_TIMEOUT_MS - 100, formatMs(wave.maxMs));
    ctx.check(`${label}: lastError short`, tidyText(record.status?.lastError), String(record.status?.lastError?.length ?? 'not set'));
    ctx.check(`${label}: hostile connection dropped by the library`, record.heldClosed, 'still held 1 s after the refusal');
  }
});

// Every hostile mode of stress/hostile-issuer.js, per endpoint, against an authenticator with
// jwks.timeout 200ms, garbage collected while each fetch is pending. Bound per case: refused
// with an AuthError 503 or 401 within 2 × timeout + 1 s, at most one fetch per endpoint,
// lastError short, the hostile connection dropped, plus a bound per mode (no redirect
// followed, nothing fetched off loopback, an endless body cut near 1 MiB).
import { DISCOVERY_MODES, JWKS_MODES, TRANSPORT_MODES, makeHostileKeys } from '../hostile-issuer.js';
import { describeCodes, hostileCase, MAX_ERROR_TEXT, refusedProperly, tidyText } from '../lib/hostile-case.js';
import { formatBytes, formatMs, runScenario } from '../lib/scenario.js';

const TIMEOUT_MS = 200;
/** Bytes an endless body may push before the library stops reading (1 MiB cap + socket buffers). */
const ENDLESS_MAX_BYTES = 16 * 1024 * 1024;
/** Modes where the library may legitimately receive keys it must skip rather than fail a fetch. */
const SKIP_MODES = new Set(['private-keys', 'weak-keys']);
/** Modes that could reach beyond 127.0.0.1 if the library followed them: fetched through the guard. */
const GUARDED_MODES = new Set(['redirect', 'redirect-external', 'file-uri', 'http-off-loopback']);

runScenario('hostile-issuer', { short: 120_000, long: 400_000 }, async (ctx) => {
  const keys = makeHostileKeys();
  const cases = [
    ...TRANSPORT_MODES.flatMap((mode) => [{ discovery: mode }, { jwks: mode }]),
    ...DISCOVERY_MODES.map((mode) => ({ discovery: mode })),
    ...JWKS_MODES.map((mode) => ({ jwks: mode })),
  ];
  const rounds = ctx.long ? 3 : 1;
  let slowest = 0;
  let collections = 0;
  for (let round = 1; round <= rounds; round += 1) {
    for (const modes of cases) {
      const [endpoint, mode] = Object.entries(modes)[0];
      const label = `${endpoint}:${mode}`;
      const record = await hostileCase({ keys, modes, timeout: `${TIMEOUT_MS}ms`, timeoutMs: TIMEOUT_MS, guard: GUARDED_MODES.has(mode) });
      const [wave] = record.waves;
      const { status } = record;
      slowest = Math.max(slowest, wave.maxMs);
      collections += record.collections;
      if (round === rounds) {
        const extra = mode === 'endless' ? `, ${formatBytes(record.bytesSent[endpoint])} pushed` : '';
        ctx.figure(
          label,
          `${describeCodes(wave)} in ${formatMs(wave.maxMs)}; fetches d${wave.discovery}/j${wave.jwks}${extra}`,
        );
      }
      const tag = rounds > 1 ? `${label} (round ${round})` : label;
      ctx.check(`${tag}: refused 503/401, no hang`, refusedProperly(wave), describeCodes(wave));
      ctx.check(`${tag}: settled within ${formatMs(record.boundMs)}`, wave.hung === 0 && wave.maxMs <= record.boundMs, formatMs(wave.maxMs));
      ctx.check(`${tag}: at most one fetch per endpoint`, wave.discovery <= 1 && wave.jwks <= 1, `discovery ${wave.discovery}, jwks ${wave.jwks}`);
      if (SKIP_MODES.has(mode)) {
        ctx.check(`${tag}: key_skipped event with a reason`, record.skipped.length > 0 && record.skipped.every(tidyText), JSON.stringify(record.skipped.slice(0, 3)));
        ctx.check(
          `${tag}: lastError (if any) short, one line`,
          status.lastError === undefined || tidyText(status.lastError),
          `${String(status.lastError?.length ?? 0)} chars`,
        );
      } else {
        ctx.check(
          `${tag}: lastError set, <= ${MAX_ERROR_TEXT} chars, no control characters`,
          tidyText(status?.lastError),
          status?.lastError === undefined ? 'not set' : `${status.lastError.length} chars: ${JSON.stringify(status.lastError.slice(0, 120))}`,
        );
      }
      ctx.check(`${tag}: status() not ready`, status !== undefined && status.ready === false && status.keys === 0, `ready ${status?.ready}, keys ${status?.keys}`);
      ctx.check(`${tag}: hostile connection dropped by the library`, record.heldClosed, 'still held 1 s after the refusal');
      if (mode === 'redirect' || mode === 'redirect-external') {
        ctx.check(`${tag}: redirect not followed`, record.requests.elsewhere === 0 && record.guardRefused.length === 0, `elsewhere ${record.requests.elsewhere}, off-loopback ${record.guardRefused.length}`);
      }
      if (mode === 'file-uri' || mode === 'http-off-loopback') {
        ctx.check(`${tag}: jwks_uri refused without fetching it`, record.guardRefused.length === 0 && record.requests.jwks === 0, `attempted: ${record.guardRefused.join(', ') || 'none'}`);
      }
      if (mode === 'endless') {
        ctx.check(`${tag}: endless body cut (<= ${formatBytes(ENDLESS_MAX_BYTES)} pushed)`, record.bytesSent[endpoint] <= ENDLESS_MAX_BYTES, formatBytes(record.bytesSent[endpoint]));
      }
    }
  }
  ctx.figure('cases', `${cases.length} × ${rounds} round(s)`);
  ctx.figure('slowest refusal', formatMs(slowest));
  ctx.figure('gc() calls while fetches were pending', collections);
});

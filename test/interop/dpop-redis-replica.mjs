// One replica for test/interop/dpop-redis.test.ts, in a process of its own: the built package
// (`tenantgate`, i.e. dist/) with DPoP required and the Redis replay store of
// examples/dpop-redis. Settings come as JSON in argv[2]:
//   { redisUrl, prefix, issuerUrl, audience, proofMaxAge, clockTolerance }
// It prints {"ready":true} once it can authenticate, then reads one JSON line per request on
// stdin, { id, input }, and prints one line per answer, in whatever order they finish:
//   { id, ok: true, tenant, subject }  or  { id, ok: false, code, status, message }
// It closes the authenticator and the Redis connection when stdin ends.
import { createInterface } from 'node:readline';
import { AuthError, createAuthenticator } from 'tenantgate';
import { connectRedisReplayStore } from '../../examples/dpop-redis/redis-replay-store.js';

const settings = JSON.parse(process.argv[2] ?? '{}');
const print = (value) => process.stdout.write(`${JSON.stringify(value)}\n`);

const redis = await connectRedisReplayStore(settings.redisUrl, {
  prefix: settings.prefix,
  onError: (error) => process.stderr.write(`redis: ${error.message}\n`),
});
const auth = createAuthenticator({
  issuerUrl: settings.issuerUrl,
  audience: settings.audience,
  clockTolerance: settings.clockTolerance,
  accessPolicyClaim: 'sub',
  accessPolicyRegex: 'pref-([a-z]+)-.*',
  accessPolicies: { reader: { scopes: ['metrics:read'], realms: [{ tenant: 'tenant-1' }] } },
  dpop: { mode: 'required', proofMaxAge: settings.proofMaxAge, replayStore: redis.replayStore },
});
await auth.ready();
print({ ready: true });

const inFlight = new Set();
for await (const line of createInterface({ input: process.stdin, crlfDelay: Infinity })) {
  if (line.trim() === '') continue;
  const { id, input } = JSON.parse(line);
  const answer = auth.authenticate(input).then(
    (result) => print({ id, ok: true, tenant: result.tenant, subject: result.subject }),
    (error) =>
      print(
        error instanceof AuthError
          ? { id, ok: false, code: error.code, status: error.status, message: error.message }
          : { id, ok: false, code: 'unexpected', message: String(error) },
      ),
  );
  inFlight.add(answer);
  void answer.finally(() => inFlight.delete(answer));
}
await Promise.all(inFlight);
await auth.close();
// With Redis stopped, the client is reconnecting: drop it rather than wait for the server.
if (redis.client.isReady) await redis.close();
else redis.client.destroy();

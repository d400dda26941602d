/** The local issuer behind `tenantgate/testing`. */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { CompactSign, exportJWK, generateKeyPair, type CryptoKey } from 'jose';
import type { JWK, JWTPayload } from '../token/jwt-types.js';
import { toMilliseconds } from '../base/duration.js';
import { checkTestIssuerOptions } from './test-issuer-options.js';
import { encryptionJwk, PROFILES, profileJwk, type TestProfile } from './profiles/index.js';
import { OpaqueTokens } from './test-introspection.js';
import type {
  TestAlgorithm,
  TestEndpoint,
  TestIssuer,
  TestIssuerFailure,
  TestIssuerOptions,
  TestResponse,
  TestSignOptions,
} from './test-issuer-types.js';

export type * from './test-issuer-types.js';

/** How long the issuer keeps an idle keep-alive connection open. */
const IDLE_CONNECTION_MS = 10 * 60_000;

interface SigningKey {
  kid: string;
  alg: TestAlgorithm;
  privateKey: CryptoKey;
  publicJwk: JWK;
}

const DEFAULT_AUDIENCE = 'tenantgate-test';

/**
 * Starts a local OIDC issuer on 127.0.0.1.
 *
 * @throws {ConfigError} (a rejection) for an unknown or mistyped option
 */
export async function createTestIssuer(options: TestIssuerOptions = {}): Promise<TestIssuer> {
  checkTestIssuerOptions(options);
  const profile: TestProfile | undefined = options.profile === undefined ? undefined : PROFILES[options.profile];
  const audience = options.audience ?? profile?.audience ?? DEFAULT_AUDIENCE;
  const algorithms = options.algorithms?.length ? options.algorithms : (['RS256'] as TestAlgorithm[]);
  const keys: SigningKey[] = [];
  for (const alg of algorithms) keys.push(await makeKey(alg, profile));
  // The first algorithm's key signs by default, until `rotate` makes a newer one the default.
  let defaultKid = keys[0]?.kid;
  const extraKeys: JWK[] = profile?.encryptionKey ? [await encryptionJwk()] : [];
  const requests: Record<TestEndpoint, number> = { discovery: 0, jwks: 0, introspection: 0 };
  const opaque = new OpaqueTokens(options.introspectionClient ?? { clientId: 'tenantgate-test', clientSecret: 'tenantgate-test-secret' });
  const overrides = new Map<TestEndpoint, TestResponse>();
  const failures = new Map<TestEndpoint, { mode: TestIssuerFailure; delayMs: number }>();
  const path = (options.path ?? profile?.path ?? '').replace(/\/+$/, '');
  let url = '';
  let origin = '';
  const jwksPath = profile?.jwksPath ?? `${path}/jwks`;
  const introspectionPath = `${path}/introspect`;
  const timers = new Set<NodeJS.Timeout>();

  const discoveryDocument = () => ({
    issuer: url,
    jwks_uri: `${origin}${jwksPath}`,
    authorization_endpoint: `${origin}${path}/authorize`,
    token_endpoint: `${origin}${path}/token`,
    introspection_endpoint: `${origin}${introspectionPath}`,
    response_types_supported: ['code'],
    subject_types_supported: ['public'],
    id_token_signing_alg_values_supported: [...new Set(keys.map((key) => key.alg))],
    ...profile?.discovery({ url, origin, audience }),
  });
  const jwks = () => ({ keys: [...keys.map((key) => key.publicJwk), ...extraKeys] });

  const server: Server = createServer((request: IncomingMessage, response: ServerResponse) => {
    const endpoint = endpointOf(request.url ?? '', path, jwksPath, introspectionPath);
    if (endpoint === undefined) {
      response.writeHead(404).end();
      return;
    }
    requests[endpoint] += 1;
    const failure = failures.get(endpoint);
    if (failure?.mode === 'hang') return;
    const answer = () => {
      if (failure?.mode === 'down') {
        response.writeHead(500, { 'content-type': 'text/plain' }).end('down');
        return;
      }
      const canned = overrides.get(endpoint);
      if (endpoint === 'introspection' && canned === undefined) {
        opaque.handle(request, response);
        return;
      }
      const body = canned ? canned.body : endpoint === 'discovery' ? discoveryDocument() : jwks();
      const text = typeof body === 'string' ? body : JSON.stringify(body ?? null);
      response.writeHead(canned?.status ?? 200, { 'content-type': 'application/json', ...canned?.headers });
      response.end(text);
    };
    if (failure?.mode === 'slow') {
      const timer = setTimeout(() => {
        timers.delete(timer);
        answer();
      }, failure.delayMs);
      timers.add(timer);
    } else {
      answer();
    }
  });
  // Idle keep-alive connections stay open until close(). Node's 5 s default let the issuer
  // drop a connection just as a client in the same busy process reused it: a spurious
  // ECONNRESET (seen in the benchmark, with jose's JWKS client).
  server.keepAliveTimeout = IDLE_CONNECTION_MS;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  origin = `http://127.0.0.1:${port}`;
  // Auth0 and Entra v1 issuers end with "/"; discovery stays at <path>/.well-known/... either way.
  url = `${origin}${path}${profile?.trailingSlash ? '/' : ''}`;

  /** The default claims (`iss`, `aud`, `iat`, `exp`, the profile's), then `claims`; `undefined` removes one. */
  const payloadOf = (claims: Record<string, unknown>, expiresIn: TestSignOptions['expiresIn']): JWTPayload => {
    const now = Math.floor(Date.now() / 1000);
    const lifetime = expiresIn === null ? undefined : toMilliseconds(expiresIn ?? '5m');
    if (expiresIn !== null && lifetime === undefined) {
      // Never silently make a token without `exp`; an expired token is `sign({ exp: ... })`.
      throw new TypeError(`expiresIn must be a duration such as '5m' or a non-negative number of seconds, or null`);
    }
    return {
      iss: url,
      aud: audience,
      iat: now,
      ...(lifetime === undefined ? {} : { exp: now + Math.round(lifetime / 1000) }),
      ...profile?.claims({ url, origin, audience }),
      ...claims,
    };
  };

  const pickKey = (signOptions: TestSignOptions): SigningKey => {
    const candidates = keys.filter(
      (key) => (signOptions.kid === undefined || key.kid === signOptions.kid) && (signOptions.alg === undefined || key.alg === signOptions.alg),
    );
    const key =
      signOptions.kid === undefined && signOptions.alg === undefined
        ? (candidates.find((candidate) => candidate.kid === defaultKid) ?? candidates.at(-1))
        : candidates.at(-1);
    if (key === undefined) throw new Error('the test issuer has no signing key matching these options');
    return key;
  };

  const signPayload = async (payload: string | Uint8Array, signOptions: TestSignOptions = {}) => {
    const key = pickKey(signOptions);
    const bytes = typeof payload === 'string' ? new TextEncoder().encode(payload) : payload;
    const header = { typ: 'JWT', kid: key.kid, ...signOptions.header, alg: key.alg };
    return new CompactSign(bytes).setProtectedHeader(header).sign(key.privateKey);
  };

  return {
    url,
    discoveryUrl: `${origin}${path}/.well-known/openid-configuration`,
    jwksUri: `${origin}${jwksPath}`,
    introspectionEndpoint: `${origin}${introspectionPath}`,
    introspectionClient: opaque.client,
    audience,
    profile: options.profile,
    requests,
    get kids() {
      return [...keys.map((key) => key.kid), ...extraKeys.flatMap((jwk) => (typeof jwk.kid === 'string' ? [jwk.kid] : []))];
    },
    get discoveryDocument() {
      return discoveryDocument();
    },
    get jwks() {
      return jwks();
    },
    async sign(claims = {}, signOptions = {}) {
      return signPayload(JSON.stringify(payloadOf(claims, signOptions.expiresIn)), signOptions);
    },
    async issueOpaqueToken(claims = {}, tokenOptions = {}) {
      return opaque.issue(payloadOf(claims, tokenOptions.expiresIn));
    },
    revoke(token) {
      opaque.revoke(token);
    },
    signPayload,
    async rotate(alg) {
      const key = await makeKey(alg ?? keys.at(-1)?.alg ?? algorithms[0] ?? 'RS256', profile);
      keys.push(key);
      defaultKid = key.kid;
      return key.kid;
    },
    removeKey(kid) {
      for (let index = keys.length - 1; index >= 0; index -= 1) if (keys[index]?.kid === kid) keys.splice(index, 1);
      for (let index = extraKeys.length - 1; index >= 0; index -= 1) if (extraKeys[index]?.kid === kid) extraKeys.splice(index, 1);
    },
    publish(jwk) {
      extraKeys.push(jwk);
    },
    fail(mode, failOptions = {}) {
      const endpoints: TestEndpoint[] = failOptions.endpoint ? [failOptions.endpoint] : ['discovery', 'jwks', 'introspection'];
      for (const endpoint of endpoints) {
        if (mode === null) failures.delete(endpoint);
        else failures.set(endpoint, { mode, delayMs: toMilliseconds(failOptions.delay ?? '1s') ?? 1000 });
      }
    },
    override(endpoint, response) {
      if (response === null) overrides.delete(endpoint);
      else overrides.set(endpoint, response);
    },
    resetRequests() {
      requests.discovery = 0;
      requests.jwks = 0;
      requests.introspection = 0;
    },
    async close() {
      for (const timer of timers) clearTimeout(timer);
      timers.clear();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

function endpointOf(requestUrl: string, path: string, jwksPath: string, introspectionPath: string): TestEndpoint | undefined {
  const pathname = requestUrl.split('?')[0];
  if (pathname === `${path}/.well-known/openid-configuration`) return 'discovery';
  if (pathname === jwksPath) return 'jwks';
  if (pathname === introspectionPath) return 'introspection';
  return undefined;
}

async function makeKey(alg: TestAlgorithm, profile: TestProfile | undefined): Promise<SigningKey> {
  const options = alg === 'EdDSA' ? { extractable: true, crv: 'Ed25519' } : { extractable: true, modulusLength: 2048 };
  const { privateKey, publicKey } = await generateKeyPair(alg, options);
  const { kid, publicJwk } = profileJwk(profile, alg, await exportJWK(publicKey), privateKey, publicKey);
  return { kid, alg, privateKey, publicJwk };
}

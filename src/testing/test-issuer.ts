/** The local issuer behind `tenantgate/testing`. */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { CompactSign, exportJWK, generateKeyPair, type CryptoKey } from 'jose';
import type { JWK, JWTPayload } from '../token/jwt-types.js';
import { toMilliseconds, type Duration } from '../base/duration.js';
import { checkTestIssuerOptions } from './test-issuer-options.js';
import { encryptionJwk, PROFILES, profileJwk, type TestProfile, type TestProfileName } from './profiles/index.js';

export type { TestProfileName } from './profiles/index.js';

/** How long the issuer keeps an idle keep-alive connection open. */
const IDLE_CONNECTION_MS = 10 * 60_000;

/** Algorithms the test issuer can sign with. */
export type TestAlgorithm =
  | 'RS256' | 'RS384' | 'RS512' | 'PS256' | 'PS384' | 'PS512' | 'ES256' | 'ES384' | 'ES512' | 'EdDSA';

/** Options of {@link createTestIssuer}. */
export interface TestIssuerOptions {
  /** One signing key is made per algorithm; the first signs by default. Default `['RS256']`. */
  algorithms?: TestAlgorithm[];
  /** Port on 127.0.0.1; default a free one. */
  port?: number;
  /** Path of the issuer URL, such as `'/realms/example'`. Default none. */
  path?: string;
  /** The `aud` of signed tokens unless a claim overrides it. Default `'tenantgate-test'`. */
  audience?: string;
  /**
   * Imitate an identity provider (docs/idp-recipes.md): its issuer and JWKS paths, JWK members
   * (`x5c`, `alg` or not), discovery fields and default token claims. `path` and `audience`
   * still override the profile's.
   */
  profile?: TestProfileName;
}

/** Options of {@link TestIssuer.sign}. */
export interface TestSignOptions {
  /** Sign with this key; default the newest key of `alg`, or the default signer (see {@link TestIssuer.rotate}). */
  kid?: string;
  /** Sign with the newest key of this algorithm. */
  alg?: TestAlgorithm;
  /** Protected-header fields added or replaced (`alg` is the key's and cannot be changed). */
  header?: Record<string, unknown>;
  /** Lifetime from now; `null` leaves out `exp`. Default `'5m'`. */
  expiresIn?: Duration | null;
}

/** How the issuer misbehaves: `down` answers 500, `hang` never answers, `slow` answers late. */
export type TestIssuerFailure = 'down' | 'hang' | 'slow';

/** An endpoint of the test issuer. */
export type TestEndpoint = 'discovery' | 'jwks';

/** A canned answer for an endpoint, replacing the real one. */
export interface TestResponse {
  /** Default 200. */
  status?: number;
  headers?: Record<string, string>;
  /** A string is sent as is; anything else as JSON. */
  body?: unknown;
}

/** A running test issuer. Every member is safe to call at any time until {@link close}. */
export interface TestIssuer {
  /** The issuer URL, as in the discovery document's `issuer` and tokens' `iss`. */
  readonly url: string;
  /** Where the discovery document is served. */
  readonly discoveryUrl: string;
  /** Where the JWKS is served. */
  readonly jwksUri: string;
  /** The default `aud` of signed tokens (Cognito profile: of `client_id`). */
  readonly audience: string;
  /** The IdP profile imitated, if any. */
  readonly profile: TestProfileName | undefined;
  /** Requests received per endpoint, failures included. */
  readonly requests: Readonly<Record<TestEndpoint, number>>;
  /** Key ids published in the JWKS, oldest first. */
  readonly kids: string[];
  /** The discovery document as served when nothing overrides it. */
  readonly discoveryDocument: Record<string, unknown>;
  /** The JWKS as served when nothing overrides it. */
  readonly jwks: { keys: JWK[] };
  /** Signs a JWT. Default claims: `iss`, `aud`, `iat`, `exp` and the profile's; `claims` add to or replace them (`undefined` removes one). */
  sign(claims?: Record<string, unknown>, options?: TestSignOptions): Promise<string>;
  /** Signs an arbitrary payload (any bytes, not necessarily a JSON object). */
  signPayload(payload: string | Uint8Array, options?: Omit<TestSignOptions, 'expiresIn'>): Promise<string>;
  /** Adds a new key that becomes the default signer; older keys stay published. Returns its kid. */
  rotate(alg?: TestAlgorithm): Promise<string>;
  /** Stops publishing a key (tokens it signed no longer verify once a verifier refetches). */
  removeKey(kid: string): void;
  /** Publishes an extra JWK exactly as given, such as a private or undersized key. */
  publish(jwk: JWK): void;
  /** Starts (or with `null` stops) a failure mode, for one endpoint or both. */
  fail(mode: TestIssuerFailure | null, options?: { endpoint?: TestEndpoint; delay?: Duration }): void;
  /** Replaces an endpoint's answer (or with `null` restores it). */
  override(endpoint: TestEndpoint, response: TestResponse | null): void;
  /** Sets every request counter back to zero. */
  resetRequests(): void;
  /** Stops the server, dropping hanging requests. */
  close(): Promise<void>;
}

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
  const requests: Record<TestEndpoint, number> = { discovery: 0, jwks: 0 };
  const overrides = new Map<TestEndpoint, TestResponse>();
  const failures = new Map<TestEndpoint, { mode: TestIssuerFailure; delayMs: number }>();
  const path = (options.path ?? profile?.path ?? '').replace(/\/+$/, '');
  let url = '';
  let origin = '';
  const jwksPath = profile?.jwksPath ?? `${path}/jwks`;
  const timers = new Set<NodeJS.Timeout>();

  const discoveryDocument = () => ({
    issuer: url,
    jwks_uri: `${origin}${jwksPath}`,
    authorization_endpoint: `${origin}${path}/authorize`,
    token_endpoint: `${origin}${path}/token`,
    response_types_supported: ['code'],
    subject_types_supported: ['public'],
    id_token_signing_alg_values_supported: [...new Set(keys.map((key) => key.alg))],
    ...profile?.discovery({ url, origin, audience }),
  });
  const jwks = () => ({ keys: [...keys.map((key) => key.publicJwk), ...extraKeys] });

  const server: Server = createServer((request: IncomingMessage, response: ServerResponse) => {
    const endpoint = endpointOf(request.url ?? '', path, jwksPath);
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
      const now = Math.floor(Date.now() / 1000);
      const lifetime = signOptions.expiresIn === null ? undefined : toMilliseconds(signOptions.expiresIn ?? '5m');
      if (signOptions.expiresIn !== null && lifetime === undefined) {
        // Never silently sign a token without `exp`; an expired token is `sign({ exp: ... })`.
        throw new TypeError(`expiresIn must be a duration such as '5m' or a non-negative number of seconds, or null`);
      }
      const payload: JWTPayload = {
        iss: url,
        aud: audience,
        iat: now,
        ...(lifetime === undefined ? {} : { exp: now + Math.round(lifetime / 1000) }),
        ...profile?.claims({ url, origin, audience }),
        ...claims,
      };
      return signPayload(JSON.stringify(payload), signOptions);
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
      const endpoints: TestEndpoint[] = failOptions.endpoint ? [failOptions.endpoint] : ['discovery', 'jwks'];
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
    },
    async close() {
      for (const timer of timers) clearTimeout(timer);
      timers.clear();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

function endpointOf(requestUrl: string, path: string, jwksPath: string): TestEndpoint | undefined {
  const pathname = requestUrl.split('?')[0];
  if (pathname === `${path}/.well-known/openid-configuration`) return 'discovery';
  if (pathname === jwksPath) return 'jwks';
  return undefined;
}

async function makeKey(alg: TestAlgorithm, profile: TestProfile | undefined): Promise<SigningKey> {
  const options = alg === 'EdDSA' ? { extractable: true, crv: 'Ed25519' } : { extractable: true, modulusLength: 2048 };
  const { privateKey, publicKey } = await generateKeyPair(alg, options);
  const { kid, publicJwk } = profileJwk(profile, alg, await exportJWK(publicKey), privateKey, publicKey);
  return { kid, alg, privateKey, publicJwk };
}

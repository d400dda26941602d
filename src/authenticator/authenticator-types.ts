import type { CredentialsInput } from '../credentials/credentials.js';
import type { IssuerStatus } from '../issuer/issuer-keys.js';
import type { RegexEngineName } from '../base/regex-engine.js';
import type { AccessPolicyView } from '../policy/access-policy.js';
import type { JWTPayload } from '../token/jwt-types.js';

/** An accepted request. */
export interface AuthResult {
  /** The tenant from `tenant:jwt`, the Basic username or the tenant header, as sent. */
  tenant: string | undefined;
  /** `tenant` split on `|` (federation); `[]` when there is none. Frozen, like `policyNames`. */
  tenants: string[];
  /** The compact JWT. */
  token: string;
  /** Verified claims (frozen). */
  claims: Readonly<JWTPayload>;
  /** `claims.sub`. */
  subject: string | undefined;
  /** Policy names from the claim: lowercased, deduplicated, sorted (frozen). */
  policyNames: string[];
  /** The resolved access policy; virtual (and read-only) when `policyNames` has several. */
  accessPolicy: AccessPolicyView;
  /** When the token expires (`exp`). */
  expiresAt: Date;
}

/** What {@link Authenticator.authorize} checks. */
export interface AuthorizeOptions {
  /** Tenant (or `a|b` list) the request acts on; default the tenants of the credentials. */
  tenant?: string | undefined;
  /** Scope the request needs, such as `metrics:write`. */
  scope?: string | undefined;
}

/** The state of every trusted issuer, for readiness probes. */
export interface AuthenticatorStatus {
  /** Whether every issuer's keys are usable. */
  ready: boolean;
  issuers: IssuerStatus[];
  /**
   * The RE2 engine running `accessPolicyRegex`: `re2` (the native addon) or, where it cannot
   * load (Bun, Deno, no compiler), `re2js` (without native code). Never JavaScript's `RegExp`.
   */
  regexEngine: RegexEngineName;
}

/** OAuth 2.0 Protected Resource Metadata (RFC 9728 §2), as served at the well-known URL. */
export interface ProtectedResourceMetadata {
  /** The resource identifier, exactly as configured. */
  resource: string;
  /** The trusted issuers, whose tokens this resource accepts. */
  authorization_servers: string[];
  /** How tokens are sent: always `['header']` (the `Authorization` header). */
  bearer_methods_supported: string[];
  /** The configured `scopesSupported`; absent when none were given. */
  scopes_supported?: string[];
  /** The accepted DPoP proof algorithms; present when DPoP is on. */
  dpop_signing_alg_values_supported?: string[];
  /** Whether only DPoP-bound tokens are accepted (`dpop.mode` `'required'`). */
  dpop_bound_access_tokens_required: boolean;
}

/** Validates OIDC JWTs sent the GEM way. Create it once per process and share it. */
export interface Authenticator {
  /**
   * Optional warm-up: discovery and first JWKS fetch for every issuer.
   * @throws {AuthError} `issuer_unavailable` naming what failed
   */
  ready(): Promise<void>;
  /**
   * Authenticates one request's credentials.
   * @throws {AuthError} for every refusal; never another error
   */
  authenticate(input: CredentialsInput): Promise<AuthResult>;
  /**
   * Checks that an authenticated request may act on `tenant` with `scope`.
   * @throws {AuthError} `tenant_forbidden` or `insufficient_scope` (403), `invalid_request` (400)
   */
  authorize(result: AuthResult, options?: AuthorizeOptions): void;
  /** The lowercase name of the configured `tenantHeader`, for adapters to read. */
  readonly tenantHeader: string | undefined;
  /**
   * The protected resource metadata document (RFC 9728), frozen; `undefined` when the
   * `resourceMetadata` option is not set. The adapters serve it at its well-known URL.
   */
  protectedResourceMetadata(): ProtectedResourceMetadata | undefined;
  /** The keys of every issuer: counts, age, staleness and the last error. */
  status(): AuthenticatorStatus;
  /** Aborts fetches in flight and clears caches; `authenticate` refuses afterwards. */
  close(): Promise<void>;
}

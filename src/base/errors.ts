/**
 * Every way a request can be refused, with the HTTP status it maps to.
 *
 * The codes are public API: they are stable across releases and safe to switch on.
 */
export const AUTH_ERROR_STATUS = {
  invalid_request: 400,
  credentials_missing: 401,
  invalid_token: 401,
  token_expired: 401,
  token_not_yet_valid: 401,
  issuer_mismatch: 401,
  audience_mismatch: 401,
  algorithm_not_allowed: 401,
  key_not_found: 401,
  invalid_dpop_proof: 401,
  policy_not_found: 403,
  tenant_forbidden: 403,
  insufficient_scope: 403,
  issuer_unavailable: 503,
  policy_store_unavailable: 503,
  replay_store_unavailable: 503,
} as const;

/** A stable, machine-readable reason for refusing a request. */
export type AuthErrorCode = keyof typeof AUTH_ERROR_STATUS;

/** The HTTP status an {@link AuthError} maps to. */
export type AuthErrorStatus = (typeof AUTH_ERROR_STATUS)[AuthErrorCode];

/**
 * The error code in the terms of RFC 6750 §3.1 (and RFC 6749 §4.1.2.1 for
 * `temporarily_unavailable`), as put in the `error` attribute of the challenge and
 * the `error` field of a JSON error body. `undefined` when the request carried no
 * credentials at all: RFC 6750 asks for a bare challenge then.
 */
export type OAuthErrorCode =
  | 'invalid_request'
  | 'invalid_token'
  | 'invalid_dpop_proof'
  | 'insufficient_scope'
  | 'temporarily_unavailable';

/** The realm named in every challenge. */
export const REALM = 'tenantgate';

/** Seconds a client should wait before retrying a 503, sent as `Retry-After`. */
export const DEFAULT_RETRY_AFTER_SECONDS = 5;

/** Optional details of an {@link AuthError}. */
export interface AuthErrorOptions {
  /** The scope that was required (for `insufficient_scope`). */
  scope?: string;
  /** Seconds before a retry may succeed (503 errors). */
  retryAfter?: number;
  /** The underlying error, kept for debugging; never shown to clients. */
  cause?: unknown;
}

const challengeSchemes = new WeakMap<AuthError, ChallengeSchemes>();

/**
 * A request was refused. `message` is safe to show to the client: it never contains
 * the token, a key id or a claim value.
 *
 * @example
 * ```ts
 * try {
 *   const result = await auth.authenticate({ authorization: req.headers.authorization });
 * } catch (error) {
 *   if (error instanceof AuthError) {
 *     res.statusCode = error.status;
 *     res.setHeader('WWW-Authenticate', error.wwwAuthenticate);
 *   }
 * }
 * ```
 */
export class AuthError extends Error {
  override readonly name = 'AuthError';
  /** Stable machine-readable reason. */
  readonly code: AuthErrorCode;
  /** HTTP status to answer with. */
  readonly status: AuthErrorStatus;
  /** The scope that was required, for `insufficient_scope`. */
  readonly scope: string | undefined;
  /** Seconds to put in `Retry-After`, for 503 errors. */
  readonly retryAfter: number | undefined;

  constructor(code: AuthErrorCode, message: string, options: AuthErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.status = AUTH_ERROR_STATUS[code];
    this.scope = options.scope;
    this.retryAfter =
      this.status === 503 ? (options.retryAfter ?? DEFAULT_RETRY_AFTER_SECONDS) : undefined;
  }

  /** The error in RFC 6750 terms; `undefined` when no credentials were sent. */
  get oauthError(): OAuthErrorCode | undefined {
    return oauthErrorOf(this.code);
  }

  /**
   * Headers to answer with: `WWW-Authenticate`, and `Retry-After` on 503. Named as in
   * `http-errors`, so Express's final handler sends them for an error passed to `next()`.
   */
  get headers(): Record<string, string> {
    const headers: Record<string, string> = { 'WWW-Authenticate': this.wwwAuthenticate };
    if (this.retryAfter !== undefined) headers['Retry-After'] = String(this.retryAfter);
    return headers;
  }

  /**
   * The `WWW-Authenticate` header value (RFC 6750 §3): a Bearer challenge; a DPoP challenge
   * (RFC 9449 §7.1) with the proof algorithms when DPoP is accepted, alone when it is
   * required; and a Basic challenge (RFC 7617) when basic credentials are enabled. The error
   * attributes go on the scheme the client used (DPoP for a proof's failure). With protected
   * resource metadata, the Bearer and DPoP challenges name its URL (RFC 9728 §5.1).
   */
  get wwwAuthenticate(): string {
    const schemes = challengeSchemes.get(this);
    const dpop = schemes?.dpop;
    const dpopOnly = dpop?.mode === 'required';
    const errorOnDpop = dpop !== undefined && (dpopOnly || schemes?.used === 'dpop' || this.code === 'invalid_dpop_proof');
    const metadata = schemes?.resourceMetadata === undefined ? '' : `, resource_metadata="${quotable(schemes.resourceMetadata)}"`;
    const challenges: string[] = [];
    if (!dpopOnly) challenges.push(`${challenge('Bearer', errorOnDpop ? undefined : this)}${metadata}`);
    if (dpop !== undefined) challenges.push(`${challenge('DPoP', errorOnDpop ? this : undefined)}, algs="${dpop.algorithms.join(' ')}"${metadata}`);
    if (schemes?.basic && !dpopOnly) challenges.push(`Basic realm="${REALM}", charset="UTF-8"`);
    return challenges.join(', ');
  }
}

/** Which schemes a refusal's challenge lists, and the one the client used. @internal */
export interface ChallengeSchemes {
  basic: boolean;
  /** Set when DPoP is accepted (`mode` not `off`). */
  dpop?: { mode: 'allowed' | 'required'; algorithms: readonly string[] } | undefined;
  used?: 'bearer' | 'basic' | 'dpop' | undefined;
  /** The URL of the protected resource metadata (RFC 9728 §5.1), when it is published. */
  resourceMetadata?: string | undefined;
}

/** Records which schemes the authenticator accepts, so the challenge lists them. @internal */
export function setChallengeSchemes(error: AuthError, schemes: ChallengeSchemes): AuthError {
  challengeSchemes.set(error, schemes);
  return error;
}

function oauthErrorOf(code: AuthErrorCode): OAuthErrorCode | undefined {
  if (code === 'credentials_missing') return undefined;
  // RFC 9449 §7.1 registers its own error code for a proof that fails a check.
  if (code === 'invalid_dpop_proof') return 'invalid_dpop_proof';
  switch (AUTH_ERROR_STATUS[code]) {
    case 400:
      return 'invalid_request';
    case 401:
      return 'invalid_token';
    case 403:
      return 'insufficient_scope';
    default:
      return 'temporarily_unavailable';
  }
}

/** One scheme's challenge, with the error's attributes when `error` is given. */
function challenge(scheme: 'Bearer' | 'DPoP', error: AuthError | undefined): string {
  const error6750 = error?.oauthError;
  // RFC 6750 §3.1: only registered codes belong in the challenge (no error without credentials).
  if (error === undefined || error6750 === undefined || error6750 === 'temporarily_unavailable') {
    return `${scheme} realm="${REALM}"`;
  }
  let text = `${scheme} realm="${REALM}", error="${error6750}", error_description="${quotable(error.message)}"`;
  if (error.scope !== undefined) text += `, scope="${quotable(error.scope)}"`;
  return text;
}

/** Keeps only the characters RFC 6750 allows inside `error_description` and `scope`. */
function quotable(text: string): string {
  return text.replace(/[^\x20\x21\x23-\x5b\x5d-\x7e]/g, '');
}

/**
 * The options given to `createAuthenticator` are invalid. Thrown synchronously;
 * `problems` lists every problem found, one plain sentence each.
 */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  /** Stable code, like Node's own errors. */
  readonly code = 'ERR_TENANTGATE_CONFIG';
  /** Each problem, one sentence each. */
  readonly problems: readonly string[];

  constructor(problems: readonly string[]) {
    const list = problems.map((problem) => `  - ${problem}`).join('\n');
    super(`Invalid tenantgate options (${problems.length} problem${problems.length === 1 ? '' : 's'}):\n${list}`);
    this.problems = Object.freeze([...problems]);
  }
}

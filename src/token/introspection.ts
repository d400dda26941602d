import { LRUCache } from 'lru-cache';
import { z } from 'zod';
import { armDeadline } from '../base/deadline.js';
import { deepFreeze } from '../base/deep-freeze.js';
import { AuthError } from '../base/errors.js';
import type { AuthEvent } from '../base/events.js';
import { describeThrown } from '../base/operator-text.js';
import type { FetchJsonOptions } from '../issuer/fetch-json.js';
import type { IntrospectionRequest } from '../issuer/introspection-request.js';
import type { IssuerKeys } from '../issuer/issuer-keys.js';
import { CallSlots } from './call-slots.js';
import { checkClaims } from './claims-check.js';
import type { JWTPayload } from './jwt-types.js';

/** An active introspection answer whose claims passed the same checks as a JWT's. @internal */
export interface IntrospectedToken {
  issuer: string;
  /** The introspection answer, deeply frozen: it stands for the token's claims. */
  claims: Readonly<JWTPayload>;
  /** `exp` in milliseconds; without `exp` (allowed by `requireExp: false`), the end of `cacheTtl`. */
  expiresAtMs: number;
  /** When the answer stops being reused (`cacheTtl` after it came). */
  cacheUntilMs: number;
}

/** What introspection needs. @internal */
export interface IntrospectorOptions {
  issuer: string;
  /** The issuer's key cache, whose discovery document names the endpoint. */
  keys: IssuerKeys;
  /** The configured endpoint, which skips discovery. */
  endpoint: string | undefined;
  request: IntrospectionRequest;
  fetch: FetchJsonOptions;
  audience: string[] | false;
  audienceClaim: string;
  clockToleranceMs: number;
  cacheTtlMs: number;
  requireExp: boolean;
  emit: (event: AuthEvent) => void;
}

/**
 * How long `active: false` is remembered: a client retrying one bad token costs the issuer
 * one call per this long, and a token wrongly reported inactive recovers as quickly.
 */
const INACTIVE_TTL_MS = 5_000;
const INACTIVE_MAX_ENTRIES = 10_000;
/** Tokens remembered as inactive hold at most this many bytes (a token costs its length plus a node). */
const INACTIVE_MAX_BYTES = 4 * 1024 * 1024;
const INACTIVE_ENTRY_OVERHEAD_BYTES = 96;
/** Introspection calls one issuer receives at once; more wait, each at most `jwks.timeout`. */
const MAX_CALLS_IN_FLIGHT = 64;
/** Requests waiting for a call; beyond them a new opaque token is refused at once (503). */
const MAX_WAITING_CALLS = 1024;

const time = z.number();
const stringOrList = z.union([z.string(), z.array(z.string())]);

/** RFC 7662 §2.2 members, typed when present; other members pass through untouched. */
const activeAnswerSchema = z.looseObject({
  active: z.literal(true),
  scope: z.string().optional(),
  client_id: z.string().optional(),
  username: z.string().optional(),
  token_type: z.string().optional(),
  exp: time.optional(),
  iat: time.optional(),
  nbf: time.optional(),
  sub: z.string().optional(),
  aud: stringOrList.optional(),
  iss: z.string().optional(),
  jti: z.string().optional(),
});

/**
 * Introspects opaque tokens at one issuer (RFC 7662): an active answer is checked like a
 * JWT's claims (`iss` when present, the audience, `exp`, `nbf`, `iat`, clock tolerance) and
 * returned for the token cache; `active: false` is remembered for a few seconds, bounded,
 * so that repeating one bad token does not repeat the call. An issuer that cannot be reached
 * or answers something other than an RFC 7662 object is a 503.
 * @internal
 */
export class Introspector {
  readonly #options: IntrospectorOptions;
  readonly #inactive = new LRUCache<string, number>({
    max: INACTIVE_MAX_ENTRIES,
    maxSize: INACTIVE_MAX_BYTES,
    sizeCalculation: (_untilMs, token) => token.length + INACTIVE_ENTRY_OVERHEAD_BYTES,
  });

  readonly #slots = new CallSlots(MAX_CALLS_IN_FLIGHT, MAX_WAITING_CALLS);

  constructor(options: IntrospectorOptions) {
    this.#options = options;
  }

  /** @throws {AuthError} `invalid_token` and the claim codes (401), `issuer_unavailable` (503) */
  async introspect(token: string): Promise<IntrospectedToken> {
    const inactiveUntil = this.#inactive.get(token);
    if (inactiveUntil !== undefined && Date.now() < inactiveUntil) throw notActive();
    const { issuer, emit } = this.#options;
    const started = performance.now();
    await this.#slot();
    let answer: unknown;
    try {
      answer = await this.#options.request.send(await this.#endpoint(), token, this.#options.fetch);
    } catch (error) {
      if (error instanceof AuthError) throw error;
      emit({ type: 'introspection', issuer, ok: false, durationMs: performance.now() - started, error: describeThrown(error) });
      throw unavailable(error);
    } finally {
      this.#slots.release();
    }
    const active = isRecord(answer) ? answer.active : undefined;
    if (typeof active !== 'boolean') {
      const problem = new Error('the introspection answer has no boolean "active" member');
      emit({ type: 'introspection', issuer, ok: false, durationMs: performance.now() - started, error: problem.message });
      throw unavailable(problem);
    }
    emit({ type: 'introspection', issuer, ok: true, active, durationMs: performance.now() - started });
    if (!active) {
      this.#inactive.set(token, Date.now() + Math.min(INACTIVE_TTL_MS, this.#options.cacheTtlMs));
      throw notActive();
    }
    return this.#checked(answer as Record<string, unknown>);
  }

  clear(): void {
    this.#inactive.clear();
  }

  /** Takes one of the issuer's call slots, waiting at most `jwks.timeout`. @throws {AuthError} `issuer_unavailable` */
  async #slot(): Promise<void> {
    if (this.#slots.tryAcquire()) return;
    const { timeoutMs, signal } = this.#options.fetch;
    const deadline = armDeadline(timeoutMs, signal);
    try {
      const waiting = this.#slots.wait(deadline);
      if (waiting === undefined) {
        throw unavailable(new Error(`${MAX_CALLS_IN_FLIGHT} introspection calls in flight and ${MAX_WAITING_CALLS} waiting; the token was not sent`));
      }
      if (!(await waiting)) {
        const why = deadline.expired ? `no introspection call could start within ${timeoutMs} ms` : 'the authenticator is closed';
        throw unavailable(new Error(`${why} (${MAX_CALLS_IN_FLIGHT} in flight); the token was not sent`));
      }
    } finally {
      deadline.clear();
    }
  }

  async #endpoint(): Promise<string> {
    const endpoint = this.#options.endpoint ?? (await this.#options.keys.introspectionEndpoint());
    if (endpoint === undefined) {
      throw unavailable(
        new Error('the discovery document publishes no usable introspection_endpoint; set introspection.endpoint'),
      );
    }
    return endpoint;
  }

  #checked(answer: Record<string, unknown>): IntrospectedToken {
    const parsed = activeAnswerSchema.safeParse(answer);
    if (!parsed.success) {
      const member = parsed.error.issues[0]?.path.join('.') ?? '';
      throw unavailable(new Error(`the introspection answer has a malformed "${member}" member`));
    }
    const { issuer, cacheTtlMs, requireExp } = this.#options;
    const now = Date.now();
    const cacheUntilMs = now + cacheTtlMs;
    // `iss` is optional in RFC 7662: the issuer that answered vouches for its own tokens.
    const checked: Record<string, unknown> = { ...answer, iss: answer.iss ?? issuer };
    if (!requireExp && answer.exp === undefined) checked.exp = Math.floor(cacheUntilMs / 1000);
    checkClaims({}, checked, {
      issuer,
      audience: this.#options.audience,
      audienceClaim: this.#options.audienceClaim,
      clockToleranceMs: this.#options.clockToleranceMs,
      typ: undefined,
    });
    const exp = answer.exp;
    return {
      issuer,
      claims: deepFreeze({ ...answer }) as Readonly<JWTPayload>,
      expiresAtMs: typeof exp === 'number' ? exp * 1000 : cacheUntilMs,
      cacheUntilMs,
    };
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function notActive(): AuthError {
  return new AuthError('invalid_token', 'the token is not active');
}

function unavailable(cause: unknown): AuthError {
  return new AuthError('issuer_unavailable', 'the issuer could not introspect the token; try again later', { cause });
}

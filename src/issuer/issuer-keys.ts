import { z } from 'zod';
import { AuthError } from '../base/errors.js';
import type { AuthEvent } from '../base/events.js';
import { fetchJson } from './fetch-json.js';
import { discover, type IssuerMetadata } from './discovery.js';
import { keyFits, toVerificationKey, type VerificationKey } from './jwk.js';
import { describeThrown, operatorText, quoted } from '../base/operator-text.js';

/** Most keys a JWKS may hold; a larger one is refused whole. */
export const MAX_JWKS_KEYS = 100;

/** How an issuer's keys are fetched and kept. @internal */
export interface IssuerKeysOptions {
  issuer: string;
  /** The JWKS URL, for an issuer without discovery (GEM Logs and Traces' `oidc.url`). */
  jwksUri?: string | undefined;
  /** Where the discovery document is, when not under the issuer URL (a templated issuer). */
  discoveryUrl?: string | undefined;
  fetch: typeof globalThis.fetch;
  timeoutMs: number;
  cooldownMs: number;
  maxAgeMs: number;
  maxStaleMs: number;
  allowInsecureHttp: boolean;
  signal: AbortSignal;
  emit: ((event: AuthEvent) => void) | undefined;
}

/** The state of one issuer's keys, for readiness probes. */
export interface IssuerStatus {
  issuer: string;
  /** Whether tokens of this issuer can be verified now. */
  ready: boolean;
  /** The JWKS URI from discovery, once known. */
  jwksUri: string | undefined;
  /** Usable keys held. */
  keys: number;
  /** When the JWKS was last fetched successfully. */
  lastRefresh: Date | undefined;
  /** Age of the keys held, in milliseconds. */
  ageMs: number | undefined;
  /** Whether the keys are older than `jwks.maxAge` (a refresh is due or failing). */
  stale: boolean;
  /** Why the last discovery or JWKS fetch failed; cleared by a success. */
  lastError: string | undefined;
}

const jwksSchema = z.looseObject({ keys: z.array(z.unknown()) });

/**
 * One issuer's rotating key cache: single-flight fetches, a refetch on an unknown kid
 * at most once per cooldown (failures included), stale-while-revalidate after
 * `maxAge`, and stale-if-error up to `maxStale` beyond it.
 * @internal
 */
export class IssuerKeys {
  readonly #options: IssuerKeysOptions;
  #metadata: IssuerMetadata | undefined;
  #metadataAt = Number.NEGATIVE_INFINITY;
  #keys: VerificationKey[] = [];
  #byKid = new Map<string, VerificationKey[]>();
  #fetchedAt = Number.NEGATIVE_INFINITY;
  #attemptedAt = Number.NEGATIVE_INFINITY;
  #lastError: string | undefined;
  #refreshing: Promise<void> | undefined;

  constructor(options: IssuerKeysOptions) {
    this.#options = options;
    if (options.jwksUri !== undefined) {
      // Known, not discovered: never looked up again.
      this.#metadata = { issuer: options.issuer, jwksUri: options.jwksUri };
      this.#metadataAt = Number.POSITIVE_INFINITY;
    }
  }

  /** The issuer as configured (for a templated issuer, its template). */
  get issuer(): string {
    return this.#options.issuer;
  }

  /**
   * Keys that may have signed a token with this header, each to be tried in turn. When
   * usable keys are held and one matches, they come back at once rather than in a promise.
   *
   * @throws {AuthError} `issuer_unavailable` (503) or `key_not_found` (401)
   */
  keysFor(kid: string | undefined, alg: string): VerificationKey[] | Promise<VerificationKey[]> {
    const now = Date.now();
    if (this.#usable(now)) {
      const candidates = this.#match(kid, alg);
      if (candidates.length !== 0) {
        this.#revalidate(now);
        return candidates;
      }
    }
    return this.#keysAfterRefresh(kid, alg);
  }

  async #keysAfterRefresh(kid: string | undefined, alg: string): Promise<VerificationKey[]> {
    await this.#ensureUsable();
    let candidates = this.#match(kid, alg);
    if (candidates.length === 0 && kid !== undefined && !this.#byKid.has(kid)) {
      // A fetch already running may have started before the key was published: then one
      // more is due (cooldown permitting) once it lands, unless it failed: the IdP is failing
      // now, and another fetch at once would only make the request wait out a second deadline.
      const joined = this.#refreshing !== undefined;
      await this.#refresh();
      candidates = this.#match(kid, alg);
      if (candidates.length === 0 && joined && this.#lastError === undefined && !this.#byKid.has(kid)) {
        await this.#refresh();
        candidates = this.#match(kid, alg);
      }
    }
    if (candidates.length === 0) {
      throw new AuthError('key_not_found', 'no key of the issuer matches the token');
    }
    return candidates;
  }

  /**
   * The discovery document's `introspection_endpoint` (`undefined` when it publishes none),
   * discovering first when that has not succeeded yet, within the same cooldown as keys.
   * @throws {AuthError} `issuer_unavailable`
   */
  async introspectionEndpoint(): Promise<string | undefined> {
    if (this.#metadata === undefined) await this.#refresh();
    if (this.#metadata === undefined) {
      throw new AuthError('issuer_unavailable', 'the issuer could not be discovered; try again later', { cause: this.#lastError });
    }
    return this.#metadata.introspectionEndpoint;
  }

  /** Fetches keys now unless usable ones are held. @throws {AuthError} `issuer_unavailable` */
  async ready(): Promise<void> {
    await this.#ensureUsable();
  }

  status(): IssuerStatus {
    const now = Date.now();
    const fetched = Number.isFinite(this.#fetchedAt);
    return {
      issuer: this.#options.issuer,
      ready: this.#usable(now),
      jwksUri: this.#metadata === undefined ? undefined : operatorText(this.#metadata.jwksUri),
      keys: this.#keys.length,
      lastRefresh: fetched ? new Date(this.#fetchedAt) : undefined,
      ageMs: fetched ? now - this.#fetchedAt : undefined,
      stale: !fetched || now - this.#fetchedAt > this.#options.maxAgeMs,
      lastError: this.#lastError,
    };
  }

  async #ensureUsable(): Promise<void> {
    const now = Date.now();
    if (!this.#usable(now)) {
      await this.#refresh();
      if (!this.#usable(Date.now())) {
        throw new AuthError('issuer_unavailable', "the issuer's signing keys are unavailable; try again later", {
          cause: this.#lastError,
        });
      }
      return;
    }
    this.#revalidate(now);
  }

  /**
   * For a token verified earlier (a cache hit): whether the keys may still be relied on,
   * with the same background refresh and stale event as a fresh verification.
   */
  readonly #trusted = (now: number): boolean => {
    if (!this.#usable(now)) return false;
    this.#revalidate(now);
    return true;
  };

  /** Keys past `maxAge` are used while one refresh runs (stale-while-revalidate). */
  #revalidate(now: number): void {
    const age = now - this.#fetchedAt;
    if (age > this.#options.maxAgeMs) {
      void this.#refresh();
      if (this.#lastError !== undefined) this.#options.emit?.({ type: 'jwks_stale', issuer: this.#options.issuer, ageMs: age });
    }
  }

  #usable(now: number): boolean {
    const { maxAgeMs, maxStaleMs } = this.#options;
    return this.#keys.length > 0 && now - this.#fetchedAt <= maxAgeMs + maxStaleMs;
  }

  #match(kid: string | undefined, alg: string): VerificationKey[] {
    const pool = kid === undefined ? this.#keys : (this.#byKid.get(kid) ?? []);
    return pool.filter((key) => keyFits(key, alg));
  }

  /** Starts a refresh unless one runs or the cooldown since the last attempt has not passed. */
  #refresh(): Promise<void> {
    if (this.#refreshing !== undefined) return this.#refreshing;
    if (this.#options.signal.aborted) return Promise.resolve();
    const now = Date.now();
    if (now - this.#attemptedAt < this.#options.cooldownMs) return Promise.resolve();
    this.#attemptedAt = now;
    this.#refreshing = this.#fetchKeys().finally(() => {
      this.#refreshing = undefined;
    });
    return this.#refreshing;
  }

  /** Never rejects: a failure is recorded in `#lastError` and reported as an event. */
  async #fetchKeys(): Promise<void> {
    const { issuer, emit } = this.#options;
    const fetchOptions = {
      fetch: this.#options.fetch,
      timeoutMs: this.#options.timeoutMs,
      signal: this.#options.signal,
      allowInsecureHttp: this.#options.allowInsecureHttp,
    };
    if (this.#metadata === undefined || Date.now() - this.#metadataAt > this.#options.maxAgeMs) {
      const started = performance.now();
      try {
        this.#metadata = await discover(issuer, { ...fetchOptions, url: this.#options.discoveryUrl });
        this.#metadataAt = Date.now();
        emit?.({ type: 'discovery', issuer, ok: true, durationMs: performance.now() - started });
      } catch (error) {
        const message = errorMessage(error);
        emit?.({ type: 'discovery', issuer, ok: false, durationMs: performance.now() - started, error: message });
        // A jwks_uri known from an earlier discovery is still worth trying.
        if (this.#metadata === undefined) {
          this.#lastError = message;
          return;
        }
      }
    }
    const started = performance.now();
    try {
      const body = jwksSchema.safeParse(await fetchJson(this.#metadata.jwksUri, fetchOptions));
      if (!body.success) throw new Error(`the JWKS at ${quoted(this.#metadata.jwksUri)} has no "keys" array`);
      if (body.data.keys.length > MAX_JWKS_KEYS) {
        throw new Error(`the JWKS at ${quoted(this.#metadata.jwksUri)} holds more than ${MAX_JWKS_KEYS} keys`);
      }
      this.#install(body.data.keys);
      this.#fetchedAt = Date.now();
      this.#lastError = undefined;
      emit?.({ type: 'jwks_refresh', issuer, ok: true, keys: this.#keys.length, durationMs: performance.now() - started });
    } catch (error) {
      this.#lastError = errorMessage(error);
      emit?.({
        type: 'jwks_refresh',
        issuer,
        ok: false,
        keys: this.#keys.length,
        durationMs: performance.now() - started,
        error: this.#lastError,
      });
    }
  }

  #install(entries: unknown[]): void {
    const kept = new Map(this.#keys.map((key) => [key.fingerprint, key]));
    const next: VerificationKey[] = [];
    for (const entry of entries) {
      const key = toVerificationKey(entry);
      if (typeof key === 'string') {
        this.#options.emit?.({ type: 'key_skipped', issuer: this.#options.issuer, reason: key });
        continue;
      }
      const known = kept.get(key.fingerprint) ?? key;
      if (!next.includes(known)) next.push(known);
    }
    const nextSet = new Set(next);
    // A key gone from the JWKS stops verifying at once, cached tokens included.
    for (const key of this.#keys) if (!nextSet.has(key)) key.live = false;
    for (const key of next) key.trusted = this.#trusted;
    this.#keys = next;
    this.#byKid = new Map();
    for (const key of next) {
      if (key.kid === undefined) continue;
      const same = this.#byKid.get(key.kid);
      if (same === undefined) this.#byKid.set(key.kid, [key]);
      else same.push(key);
    }
  }
}

/** What reaches `status()` and events: escaped and cut, since it may quote the IdP (rule 25). */
function errorMessage(error: unknown): string {
  return describeThrown(error);
}

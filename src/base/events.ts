import type { AuthErrorCode } from './errors.js';

/** A request was accepted. */
export interface AuthenticatedEvent {
  type: 'authenticated';
  /** The issuer that signed the token. */
  issuer: string;
  /** Tenants named by the credentials. */
  tenants: string[];
  /** Whether the verified-token cache answered. */
  cached: boolean;
  /** Time spent in `authenticate`, in milliseconds. */
  durationMs: number;
}

/** A request was refused. */
export interface RejectedEvent {
  type: 'rejected';
  code: AuthErrorCode;
  /**
   * Why, for the operator: for a 503 the underlying failure (the store's error message,
   * the IdP's last error), otherwise the refusal's message. Escaped and at most 200
   * characters; never a token or a claim value.
   */
  reason: string;
  /** Time spent in `authenticate`, in milliseconds. */
  durationMs: number;
}

/** A discovery document was fetched (or failed to be). */
export interface DiscoveryEvent {
  type: 'discovery';
  issuer: string;
  ok: boolean;
  durationMs: number;
  /** Why it failed; never contains a token. */
  error?: string;
}

/** The JWKS was fetched (or failed to be). */
export interface JwksRefreshEvent {
  type: 'jwks_refresh';
  issuer: string;
  ok: boolean;
  /** Usable keys after the refresh (the previous count when it failed). */
  keys: number;
  durationMs: number;
  /** Why it failed. */
  error?: string;
}

/** Cached keys were used although refreshing them failed (stale-if-error). */
export interface JwksStaleEvent {
  type: 'jwks_stale';
  issuer: string;
  /** Age of the keys in use, in milliseconds. */
  ageMs: number;
}

/** A key of the JWKS was ignored. */
export interface KeySkippedEvent {
  type: 'key_skipped';
  issuer: string;
  /** Why it was ignored, such as `private key material` or `RSA key under 2048 bits`. */
  reason: string;
}

/** An opaque token was sent to the issuer's introspection endpoint (RFC 7662). */
export interface IntrospectionEvent {
  type: 'introspection';
  issuer: string;
  /** Whether the endpoint gave a usable answer. */
  ok: boolean;
  /** The answer's `active`, when `ok`. */
  active?: boolean;
  durationMs: number;
  /** Why it failed, in words safe to log (escaped and cut). */
  error?: string;
}

/** A cache answered (hit) or did not (miss). */
export interface CacheEvent {
  type: 'cache';
  cache: 'token' | 'policy';
  hit: boolean;
}

/** A policy file was read and its policies replaced the previous ones (`tenantgate/policies`). */
export interface PolicyStoreReloadedEvent {
  type: 'policy_store_reloaded';
  /** The file, as given to `policiesFromFile`. */
  path: string;
  /** How many policies it holds now (inactive GEM policies not counted). */
  policies: number;
}

/** A policy file could not be used; the policies loaded before it stay in force. */
export interface PolicyStoreErrorEvent {
  type: 'policy_store_error';
  /** The file, as given to `policiesFromFile`. */
  path: string;
  /** The line of the problem (from 1), when it is known. */
  line?: number;
  /** What is wrong, naming the policy, realm and selector where one is at fault. */
  reason: string;
}

/** What a policy store reports. */
export type PolicyStoreEvent = PolicyStoreReloadedEvent | PolicyStoreErrorEvent;

/** Everything `onEvent` receives. No event ever contains a token. */
export type AuthEvent =
  | AuthenticatedEvent
  | RejectedEvent
  | DiscoveryEvent
  | JwksRefreshEvent
  | JwksStaleEvent
  | KeySkippedEvent
  | IntrospectionEvent
  | CacheEvent
  | PolicyStoreReloadedEvent
  | PolicyStoreErrorEvent;

/** Receives {@link AuthEvent}s; it must not throw (what it throws is ignored). */
export type EventListener = (event: AuthEvent) => void;

/**
 * Where an authenticator keeps its listener set. A registered symbol, not a module-level
 * map, so that the CommonJS entry points (each bundled on its own) see the same one.
 */
const LISTENERS = Symbol.for('tenantgate.listeners');

/** Registers the listener set of an authenticator. @internal */
export function registerListeners(owner: object, listeners: Set<EventListener>): void {
  Object.defineProperty(owner, LISTENERS, { value: listeners, enumerable: false });
}

/**
 * Adds a listener to an authenticator's events, in addition to its `onEvent` option;
 * returns a function that removes it. Used by `tenantgate/prometheus`.
 * @internal
 */
export function subscribe(owner: object, listener: EventListener): () => void {
  const listeners = (owner as { [LISTENERS]?: Set<EventListener> })[LISTENERS];
  if (!(listeners instanceof Set)) throw new TypeError('not an authenticator created by createAuthenticator');
  listeners.add(listener);
  return () => {
    listeners.delete(listener);
  };
}

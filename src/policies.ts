/**
 * Access policies kept outside the code: a JSON or YAML file, in tenantgate's shape or in
 * GEM's, re-read when it changes (a Kubernetes ConfigMap, an editor's save).
 *
 * @example
 * ```ts
 * import { createAuthenticator } from 'tenantgate';
 * import { policiesFromFile } from 'tenantgate/policies';
 *
 * const policies = policiesFromFile('/etc/tenantgate/policies.json', { format: 'gem', watch: true });
 * const auth = createAuthenticator({ ...settings, accessPolicies: policies });
 * await auth.ready();            // rejects while the file cannot be loaded
 * // on shutdown
 * await auth.close();
 * await policies.close();
 * ```
 * @packageDocumentation
 */
import { createPolicyFileStore, type PolicyFileOptions, type PolicyFileStore } from './policy/policy-file.js';

export type { PolicyFileOptions, PolicyFileStore } from './policy/policy-file.js';
export type { PolicyFormat, PolicySyntax } from './policy/policy-document.js';
export type { PolicyStoreErrorEvent, PolicyStoreEvent, PolicyStoreReloadedEvent } from './base/events.js';

/**
 * An access-policy store read from `path`, to pass as `accessPolicies`. JSON, or YAML with
 * the optional package `yaml`. Every label selector must be a PromQL vector selector (with
 * the optional package `@prometheus-io/lezer-promql`); selectors are handed out in normal form.
 *
 * The file is read at once, in the background. A version of it that cannot be used changes
 * nothing: the last good policies stay in force and `policy_store_error` says why (with the
 * line when known). A good one replaces them all and emits `policy_store_reloaded`; an
 * authenticator then drops every policy it has cached. Until a first version loads, requests
 * are answered 503 `policy_store_unavailable` and the authenticator's `ready()` rejects.
 *
 * With `watch: true`, the file's folder is watched, so that Kubernetes' symlink swaps and
 * editors' write-and-rename are seen; changes are read 50 ms after the last one. The watch
 * does not keep the process alive; `close()` stops it. Closing an authenticator does not close
 * the store, which may serve several.
 *
 * @throws {ConfigError} for an empty path or an unknown or mistyped option
 */
export function policiesFromFile(path: string, options: PolicyFileOptions = {}): PolicyFileStore {
  return createPolicyFileStore(path, options);
}

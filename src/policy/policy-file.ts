import { readFile, stat } from 'node:fs/promises';
import { z } from 'zod';
import type { NamedAccessPolicy } from './access-policy.js';
import { ConfigError } from '../base/errors.js';
import type { PolicyStoreEvent } from '../base/events.js';
import { deepFreeze } from '../base/deep-freeze.js';
import { operatorText } from '../base/operator-text.js';
import { describeProblems, type OptionVocabulary } from '../base/problem-sentences.js';
import { watchFolderOf, type DirectoryWatch } from './directory-watch.js';
import type { PeerRequire } from './optional-peer.js';
import { readPolicyDocument, type DocumentOutcome, type PolicyFormat, type PolicySyntax } from './policy-document.js';
import { attachPolicyStoreHook } from './policy-store-hook.js';

/** Options of `policiesFromFile`. */
export interface PolicyFileOptions {
  /**
   * The shape of the policies: `'tenantgate'` (default), as in the `accessPolicies` option
   * (an object keyed by name, or a list of policies with their `name`), or `'gem'`, GEM's
   * admin API shape (a list, or `{ items: [...] }`, with `display_name`, `status` and
   * `realms[].label_policies[].selector`).
   */
  format?: PolicyFormat;
  /** `'json'` or `'yaml'`. Default: YAML for a name ending in `.yaml` or `.yml`, JSON otherwise. */
  syntax?: PolicySyntax;
  /** Re-read the file whenever its folder changes (ConfigMap swaps, editors' renames). Default `false`. */
  watch?: boolean;
  /** Receives `policy_store_reloaded` and `policy_store_error`, also without an authenticator. */
  onEvent?: (event: PolicyStoreEvent) => void;
}

/** An access-policy store backed by a file: pass it as `accessPolicies`. */
export interface PolicyFileStore {
  /** The policies of the file among `names`; rejects while no version of the file could be loaded. */
  (names: string[]): Promise<NamedAccessPolicy[]>;
  /** The file, as given. */
  readonly path: string;
  /** Resolves once the file's policies are loaded; rejects with the reason while they cannot be. */
  ready(): Promise<void>;
  /** Stops watching. The policies loaded stay readable. */
  close(): Promise<void>;
}

const optionsSchema = z.strictObject({
  format: z.enum(['tenantgate', 'gem']).optional(),
  syntax: z.enum(['json', 'yaml']).optional(),
  watch: z.boolean().optional(),
  onEvent: z.function().optional(),
});

const VOCABULARY: OptionVocabulary = {
  whole: 'The options of policiesFromFile()',
  quoteValues: true,
  expected: {
    '': 'an object such as { format: "gem", watch: true }',
    format: '"tenantgate" or "gem"',
    syntax: '"json" or "yaml"',
    watch: 'true or false',
    onEvent: 'a function receiving policy store events',
  },
  keys: { '': ['format', 'syntax', 'watch', 'onEvent'] },
};

/** How long after the first failed load another call may try again. */
const RETRY_FIRST_LOAD_MS = 1000;
const DEBOUNCE_MS = 50;
/**
 * The largest policy file read: far above any real policy set (a Kubernetes ConfigMap holds at
 * most 1 MiB), so that a path pointing at the wrong file (a log, a disk image) is refused
 * rather than read into memory.
 */
const MAX_FILE_BYTES = 16 * 1024 * 1024;

/**
 * Loads access policies from a file and, with `watch`, keeps them current. A version of
 * the file that cannot be used (bad syntax, a policy that does not validate, a selector that
 * is not PromQL) changes nothing: the last good policies stay, and `policy_store_error`
 * says why.
 * @throws {ConfigError} for a bad path or option
 * @internal
 */
export function createPolicyFileStore(path: string, options: PolicyFileOptions = {}, loadYaml?: PeerRequire): PolicyFileStore {
  const problems: string[] = [];
  if (typeof path !== 'string' || path === '') problems.push('The path of policiesFromFile() must be a non-empty string.');
  const parsed = optionsSchema.safeParse(options, { reportInput: true });
  if (!parsed.success) problems.push(...describeProblems(parsed.error.issues, VOCABULARY));
  if (problems.length > 0) throw new ConfigError(problems);
  const syntax = options.syntax ?? (/\.ya?ml$/i.test(path) ? 'yaml' : 'json');
  const format = options.format ?? 'tenantgate';
  const listeners = new Set<(event: PolicyStoreEvent) => void>();
  if (options.onEvent !== undefined) listeners.add(options.onEvent);

  let policies: ReadonlyMap<string, NamedAccessPolicy> | undefined;
  /** The text last read, usable or not: the same text again is no news. */
  let seenText: string | undefined;
  /** Why no policies are loaded, while none are. */
  let failure = 'the file has not been read yet';
  let lastAttempt = 0;
  let queue: Promise<void> = Promise.resolve();
  let missingRetry: NodeJS.Timeout | undefined;
  let closed = false;

  const emit = (event: PolicyStoreEvent) => {
    for (const listener of listeners) {
      try {
        listener(event);
      } catch {
        // An observer must not stop the store.
      }
    }
  };
  const fail = (reason: string, line?: number) => {
    const text = operatorText(reason);
    if (policies === undefined) failure = line === undefined ? text : `line ${line}: ${text}`;
    emit({ type: 'policy_store_error', path, ...(line === undefined ? {} : { line }), reason: text });
  };

  const load = async (fromWatch: boolean): Promise<void> => {
    lastAttempt = Date.now();
    let text: string;
    try {
      const { size } = await stat(path);
      if (size > MAX_FILE_BYTES) {
        if (closed) return;
        seenText = undefined;
        fail(`is ${size} bytes, over the ${MAX_FILE_BYTES} bytes a policy file may have`);
        return;
      }
      text = await readFile(path, 'utf8');
    } catch (error) {
      if (closed) return;
      // Mid-swap the file may be gone for a moment: look again once before saying so.
      if (fromWatch && missingRetry === undefined && (error as { code?: unknown }).code === 'ENOENT') {
        missingRetry = setTimeout(() => enqueue(false), DEBOUNCE_MS);
        missingRetry.unref();
        return;
      }
      seenText = undefined;
      fail(`cannot be read: ${error instanceof Error ? error.message : String(error)}`);
      return;
    } finally {
      if (!fromWatch && missingRetry !== undefined) missingRetry = undefined;
    }
    if (closed || text === seenText) return;
    seenText = text;
    let outcome: DocumentOutcome;
    try {
      outcome = readPolicyDocument(text, syntax, format, loadYaml);
    } catch (error) {
      // The YAML or PromQL package is missing: its message says which to install.
      outcome = { reason: `cannot be read: ${error instanceof Error ? error.message : String(error)}` };
    }
    if ('reason' in outcome) {
      fail(outcome.reason, outcome.line);
      return;
    }
    policies = new Map(outcome.policies.map((policy) => [policy.name, deepFreeze(policy)]));
    emit({ type: 'policy_store_reloaded', path, policies: policies.size });
  };
  const enqueue = (fromWatch: boolean): Promise<void> => {
    queue = queue.then(() => load(fromWatch));
    return queue;
  };
  /** With nothing loaded yet, a caller may look at the file again, at most once a second. */
  const loaded = async (): Promise<ReadonlyMap<string, NamedAccessPolicy>> => {
    if (policies === undefined && !closed && Date.now() - lastAttempt >= RETRY_FIRST_LOAD_MS) await enqueue(false);
    else await queue;
    if (policies === undefined) throw new Error(`no access policies loaded from ${path}: ${failure}`);
    return policies;
  };

  const first = enqueue(false);
  const watching: DirectoryWatch | undefined = options.watch
    ? watchFolderOf(
        path,
        () => void enqueue(true),
        (error) => fail(`cannot be watched: ${error.message}`),
        DEBOUNCE_MS,
      )
    : undefined;

  const store = (async (names: string[]) => {
    const current = await loaded();
    return names.flatMap((name) => {
      const policy = current.get(name);
      return policy === undefined ? [] : [policy];
    });
  }) as PolicyFileStore;
  const ready = async () => {
    await first;
    await loaded();
  };
  Object.defineProperties(store, {
    path: { value: path, enumerable: true },
    ready: { value: ready, enumerable: true },
    close: {
      value: async () => {
        closed = true;
        watching?.close();
        if (missingRetry !== undefined) clearTimeout(missingRetry);
        await queue;
      },
      enumerable: true,
    },
  });
  attachPolicyStoreHook(store, {
    ready,
    subscribe(listener) {
      listeners.add(listener);
      return () => {
        listeners.delete(listener);
      };
    },
  });
  return store;
}

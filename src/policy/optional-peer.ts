import { createRequire } from 'node:module';

/** Resolves a package the way this module would; a parameter so that tests can resolve from elsewhere. @internal */
export type PeerRequire = (id: string) => unknown;

// A synchronous require, not `import()`: policies are validated inside synchronous zod
// schemas (createAuthenticator throws its ConfigError at once). tsup rewrites
// `import.meta.url` for the CommonJS build, so both builds resolve from their own file.
const ownRequire: PeerRequire = createRequire(import.meta.url);

/**
 * Loads the optional peer dependency `name`, needed for `purpose`. A package that is not
 * installed is an Error that says which one to install and why; another failure while
 * loading it is passed on as its cause.
 * @internal
 */
export function loadOptionalPeer(name: string, purpose: string, load: PeerRequire = ownRequire): unknown {
  try {
    return load(name);
  } catch (error) {
    const text = error instanceof Error ? error.message : String(error);
    // Only the package itself missing; one of its own dependencies missing is said as it is.
    const missing = (error as { code?: unknown } | null)?.code === 'MODULE_NOT_FOUND' && text.includes(`'${name}'`);
    const message = missing
      ? `${purpose} needs the optional package ${name}: install it (npm install ${name})`
      : `${purpose} needs the package ${name}, which failed to load: ${text.split('\n')[0] ?? ''}`;
    throw new Error(message, { cause: error });
  }
}

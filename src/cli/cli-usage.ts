import { readFileSync } from 'node:fs';

/**
 * Exit statuses of `tenantgate`. `incomplete` exists so that a script can never mistake
 * "the token is fine as far as we could tell" for "the service will accept it".
 */
export const EXIT = {
  accepted: 0,
  rejected: 1,
  usage: 2,
  incomplete: 3,
} as const;

const INSPECT_USAGE = `tenantgate inspect (--issuer URL --audience A --claim C --regex R | --config FILE)
                   [--tenant T] [--policies FILE] [--scope S] [--no-require-tenant]
                   [--typ T] [--clock-tolerance 30s] [--allow-insecure-http] [--json]
                   [--dpop PROOF --method M --url U] [--cert FILE]
                   TOKEN_OR_HEADER
  TOKEN_OR_HEADER is a JWT, tenant:jwt, or a whole "Bearer ..."/"Basic ..." value;
  with none (or "-"), it is read from standard input. --audience false skips the aud check.
  --tenant T is the tenant your clients send: it fills in a credential that names none.
  Like the service (requireTenant: true), a credential without a tenant is refused;
  --no-require-tenant judges it like a service with requireTenant: false.
  --policies FILE is a JSON record of access policies; without it the policy and
  tenant decision is not checked. --scope S also checks that the policy grants S.
  --config FILE reads the options of createAuthenticator from a JSON file instead of
  the flags (issuers with their own settings, jwksUri, audienceClaim, ...; its
  accessPolicies serve as --policies); the token's iss picks its issuer entry.
  --dpop PROOF checks a DPoP proof (RFC 9449) made for the request --method M --url U
  and its key against the token's cnf.jkt; --cert FILE checks a client certificate
  (PEM or DER) against an mTLS-bound token's cnf["x5t#S256"] (RFC 8705). A token
  bound to a DPoP key or a certificate is judged as by a service that honours the
  binding: without its proof or certificate it is rejected.
  Exit status: 0 accepted (every check the service makes was made and passed),
  1 rejected, 2 usage or configuration error, 3 the token passed every check that
  was made but some could not be made (no --policies, or no tenant): the output
  says which.
`;

const DEMO_USAGE = `tenantgate demo
  Starts a local OIDC issuer, configures an authenticator like the GEM documentation
  and sends it real credentials, printing the settings and each outcome.
  Exit status: 0 every step behaved as expected, 1 otherwise, 2 usage error.
`;

/** The usage text of one command, or of them all. */
export function usage(command?: 'inspect' | 'demo'): string {
  if (command === 'inspect') return `Usage: ${INSPECT_USAGE}`;
  if (command === 'demo') return `Usage: ${DEMO_USAGE}`;
  return `Usage: tenantgate <command>

Commands:
  demo       walk through the main job against a local issuer
  inspect    explain, check by check, why a token is accepted or rejected
  help       show this text (help <command>: that command's text)
  version    print the version (also --version, -v)

${INSPECT_USAGE}
${DEMO_USAGE}`;
}

/**
 * The version in package.json, read when asked so that it can never disagree with the
 * installed package. Found by walking up from this module rather than by a fixed depth:
 * bundled it sits in dist/, unbundled somewhere under src/.
 */
export function packageVersion(): string {
  let folder = new URL('.', import.meta.url);
  for (;;) {
    try {
      const parsed = JSON.parse(readFileSync(new URL('package.json', folder), 'utf8')) as { name?: unknown; version?: unknown };
      if (parsed.name === 'tenantgate' && typeof parsed.version === 'string') return parsed.version;
    } catch {
      // No readable package.json here: look further up.
    }
    const parent = new URL('..', folder);
    if (parent.href === folder.href) throw new Error('cannot find the package.json of tenantgate');
    folder = parent;
  }
}

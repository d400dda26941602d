import { AuthError } from '../base/errors.js';

/**
 * The `crit` header (RFC 7515 §4.1.11) as jose 6 judged it for tenantgate 0.1: absent, or a
 * non-empty array of non-empty strings naming only extensions understood, each present in the
 * header. The one extension understood is `b64` (RFC 7797), and only as `true`: a JWT with an
 * unencoded payload (`b64: false`) is no JWT (RFC 7797 §7), so it is refused here, before the
 * signature is checked, where jose refused it after (a refusal either way, with the same code).
 * The message is the one jose's refusals gave.
 *
 * @throws {AuthError} `invalid_token`
 * @internal
 */
export function checkCriticalHeaders(header: Readonly<Record<string, unknown>>): void {
  const { crit } = header;
  if (crit === undefined) return;
  if (!Array.isArray(crit) || crit.length === 0) throw refused();
  for (const name of crit as unknown[]) {
    if (typeof name !== 'string' || name === '') throw refused();
  }
  for (const name of crit as string[]) {
    if (name !== 'b64' || !Object.hasOwn(header, name)) throw refused();
  }
  if (header.b64 !== true) throw refused();
}

function refused(): AuthError {
  return new AuthError('invalid_token', 'the token is invalid');
}

import { AuthError } from '../base/errors.js';

/** What the claims of a token with a valid signature must satisfy. @internal */
export interface ClaimRules {
  /** The issuer the token's `iss` chose; it must still equal it. */
  issuer: string;
  /** Accepted audiences, or `false` to check none. */
  audience: string[] | false;
  /** The claim holding the audience: `aud`, or another such as Cognito's `client_id`. */
  audienceClaim?: string | undefined;
  clockToleranceMs: number;
  /** The required `typ` header, when one is configured. */
  typ: string | undefined;
}

/** The largest time a `Date` holds, in milliseconds (ECMAScript TimeClip). */
const MAX_DATE_MS = 8.64e15;

/**
 * Checks a verified token's header `typ` and its claims, in the order jose 6's `jwtVerify`
 * checked them for tenantgate 0.1 (the same checks, the same first failure, the same
 * `AuthError`), then the rules jose left to us: finite times that fit a `Date`, and no `iat`
 * in the future. The differential test holds this to jose's verdicts.
 *
 * @throws {AuthError}
 * @internal
 */
export function checkClaims(header: Record<string, unknown>, claims: Record<string, unknown>, rules: ClaimRules): void {
  if (rules.typ !== undefined && (typeof header.typ !== 'string' || mediaType(header.typ) !== mediaType(rules.typ))) {
    throw invalid('the token type (typ) is not the one required');
  }
  // Presence first, iss before aud before exp; own members only (a JSON `__proto__` is one).
  if (!Object.hasOwn(claims, 'iss')) throw issuerMismatch();
  const audienceClaim = rules.audienceClaim ?? 'aud';
  if (rules.audience !== false && !Object.hasOwn(claims, audienceClaim)) throw audienceMismatch();
  if (!Object.hasOwn(claims, 'exp')) throw invalid('the token has no exp claim');
  if (claims.iss !== rules.issuer) throw issuerMismatch();
  if (rules.audience !== false && !audienceMatches(claims[audienceClaim], rules.audience)) throw audienceMismatch();

  // Whole seconds, as jose compares them; the tolerance may be a fraction.
  const now = Math.floor(Date.now() / 1000);
  const tolerance = rules.clockToleranceMs / 1000;
  const { iat, nbf, exp } = claims;
  if (iat !== undefined && typeof iat !== 'number') throw invalid('the iat claim is invalid');
  if (nbf !== undefined && typeof nbf !== 'number') throw invalid('the nbf claim is not a number');
  if (nbf !== undefined && nbf > now + tolerance) throw new AuthError('token_not_yet_valid', 'the token is not valid yet');
  if (typeof exp !== 'number') throw invalid('the exp claim is invalid');
  if (exp <= now - tolerance) throw new AuthError('token_expired', 'the token has expired');
  checkTimes(exp, nbf, iat, rules.clockToleranceMs);
}

/**
 * jose accepts `1e400` (Infinity) and does not bound `iat`; these close the gap. A time
 * beyond what a `Date` holds (such as `1e300`) is refused too: `expiresAt` would be an
 * invalid Date.
 */
function checkTimes(exp: number, nbf: number | undefined, iat: number | undefined, clockToleranceMs: number): void {
  checkTime('exp', exp);
  checkTime('nbf', nbf);
  checkTime('iat', iat);
  if (iat !== undefined && iat * 1000 > Date.now() + clockToleranceMs) {
    throw new AuthError('token_not_yet_valid', 'the token was issued in the future');
  }
}

function checkTime(claim: 'exp' | 'nbf' | 'iat', value: number | undefined): void {
  if (value === undefined) return;
  if (!Number.isFinite(value)) throw invalid(`the ${claim} claim is not a finite number`);
  if (Math.abs(value) * 1000 > MAX_DATE_MS) throw invalid(`the ${claim} claim is out of range`);
}

/**
 * A `typ` as jose compares it (RFC 7515 §4.1.9): case-insensitive, and `at+jwt` is short for
 * `application/at+jwt`.
 */
function mediaType(typ: string): string {
  const lower = typ.toLowerCase();
  return typ.includes('/') ? lower : `application/${lower}`;
}

/** One accepted audience is the string `aud`, or is among an array's members (others ignored). */
function audienceMatches(aud: unknown, accepted: string[]): boolean {
  if (typeof aud === 'string') return accepted.includes(aud);
  if (Array.isArray(aud)) return accepted.some((each) => aud.includes(each));
  return false;
}

function issuerMismatch(): AuthError {
  return new AuthError('issuer_mismatch', 'the token was not issued by the expected issuer');
}

function audienceMismatch(): AuthError {
  return new AuthError('audience_mismatch', 'the token is not meant for this audience');
}

function invalid(message: string): AuthError {
  return new AuthError('invalid_token', message);
}

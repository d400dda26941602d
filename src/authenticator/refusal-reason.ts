import type { AuthError } from '../base/errors.js';
import { describeThrown } from '../base/operator-text.js';

/**
 * The operator-facing cause of a refusal, for the `rejected` event. A 503's cause (the
 * store's error, the IdP's last failure) is what an operator needs and holds no client
 * data; any other refusal is told by its own message, which never holds a token or a
 * claim value (rule 19), rather than by a cause that might quote one.
 * @internal
 */
export function refusalReason(refused: AuthError): string {
  if (refused.status === 503 && refused.cause !== undefined) return describeThrown(refused.cause);
  return refused.message;
}

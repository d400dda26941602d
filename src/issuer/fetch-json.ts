import { armDeadline, raceDeadline, type Deadline } from '../base/deadline.js';
import { quoted } from '../base/operator-text.js';

/** Largest discovery document or JWKS accepted, in bytes. */
export const MAX_BODY_BYTES = 1024 * 1024;

/** A discovery or JWKS fetch failed; `message` says why in words safe to log. @internal */
export class FetchError extends Error {
  override readonly name = 'FetchError';
}

/** How to fetch. @internal */
export interface FetchJsonOptions {
  fetch: typeof globalThis.fetch;
  timeoutMs: number;
  /** Aborts the fetch when the authenticator closes. */
  signal: AbortSignal;
}

/** A form POSTed instead of a GET (token introspection). @internal */
export interface FormPost {
  /** `application/x-www-form-urlencoded` fields. */
  form: URLSearchParams;
  /** More request headers, such as the client's `authorization`. */
  headers?: Record<string, string>;
}

/**
 * GETs `url` (or POSTs `post`) and parses its body as JSON. The timeout covers the whole
 * body, the body is capped at {@link MAX_BODY_BYTES} while it streams, and a redirect is a
 * failure.
 *
 * @throws {FetchError}
 */
export async function fetchJson(url: string, options: FetchJsonOptions, post?: FormPost): Promise<unknown> {
  const shown = quoted(url);
  const deadline = armDeadline(options.timeoutMs, options.signal);
  try {
    let response: Response;
    try {
      // Raced as well: an injected fetch may ignore the signal.
      response = await raceDeadline(
        options.fetch(url, {
          method: post === undefined ? 'GET' : 'POST',
          redirect: 'manual',
          signal: deadline.signal,
          headers:
            post === undefined
              ? { accept: 'application/json' }
              : { accept: 'application/json', 'content-type': 'application/x-www-form-urlencoded', ...post.headers },
          body: post?.form.toString(),
        }),
        deadline,
      );
    } catch (error) {
      throw new FetchError(`${shown} could not be reached (${describeFailure(error, deadline)})`);
    }
    if (response.status !== 200) {
      void response.body?.cancel().catch(() => undefined);
      const redirect = (response.status >= 300 && response.status < 400) || response.type === 'opaqueredirect';
      throw new FetchError(
        redirect ? `${shown} answered with a redirect, which is not followed` : `${shown} answered with HTTP ${response.status}`,
      );
    }
    const declared = Number(response.headers.get('content-length'));
    if (declared > MAX_BODY_BYTES) {
      void response.body?.cancel().catch(() => undefined);
      throw new FetchError(`${shown} answered with a body over ${MAX_BODY_BYTES} bytes`);
    }
    const text = await readCapped(response, shown, deadline);
    try {
      return JSON.parse(text) as unknown;
    } catch {
      throw new FetchError(`${shown} did not answer with valid JSON`);
    }
  } finally {
    deadline.clear();
  }
}

/** Reads the body under the same deadline: an IdP that drips one byte at a time is cut off too. */
async function readCapped(response: Response, url: string, deadline: Deadline): Promise<string> {
  if (response.body === null) return '';
  const reader = response.body.getReader();
  // Undici aborts the body stream with the request signal; cancelling here as well settles
  // a read that a custom fetch might leave waiting.
  const onAbort = () => void reader.cancel().catch(() => undefined);
  deadline.signal.addEventListener('abort', onAbort, { once: true });
  const chunks: Uint8Array[] = [];
  let size = 0;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      size += value.byteLength;
      if (size > MAX_BODY_BYTES) {
        void reader.cancel().catch(() => undefined);
        throw new FetchError(`${url} answered with a body over ${MAX_BODY_BYTES} bytes`);
      }
      chunks.push(value);
    }
  } catch (error) {
    if (error instanceof FetchError) throw error;
    throw new FetchError(`${url} failed while sending its body (${describeFailure(error, deadline)})`);
  } finally {
    deadline.signal.removeEventListener('abort', onAbort);
  }
  if (deadline.signal.aborted) throw new FetchError(`${url} failed while sending its body (${describeFailure(undefined, deadline)})`);
  return Buffer.concat(chunks).toString('utf8');
}

function describeFailure(error: unknown, deadline: Deadline): string {
  if (deadline.signal.aborted) return deadline.expired ? 'timed out' : 'aborted';
  if (error instanceof Error) {
    const cause = (error as Error & { cause?: unknown }).cause;
    const code = typeof cause === 'object' && cause !== null && 'code' in cause ? String(cause.code) : undefined;
    return code ?? error.message;
  }
  return 'unknown error';
}

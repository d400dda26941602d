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

/**
 * GETs `url` and parses its body as JSON. The timeout covers the whole body, the body
 * is capped at {@link MAX_BODY_BYTES} while it streams, and a redirect is a failure.
 *
 * @throws {FetchError}
 */
export async function fetchJson(url: string, options: FetchJsonOptions): Promise<unknown> {
  const signal = AbortSignal.any([options.signal, AbortSignal.timeout(options.timeoutMs)]);
  let response: Response;
  try {
    response = await options.fetch(url, {
      method: 'GET',
      redirect: 'manual',
      signal,
      headers: { accept: 'application/json' },
    });
  } catch (error) {
    throw new FetchError(`${url} could not be reached (${describeFailure(error, signal)})`);
  }
  if (response.status !== 200) {
    await response.body?.cancel().catch(() => undefined);
    const redirect = response.status >= 300 && response.status < 400 || response.type === 'opaqueredirect';
    throw new FetchError(
      redirect ? `${url} answered with a redirect, which is not followed` : `${url} answered with HTTP ${response.status}`,
    );
  }
  const declared = Number(response.headers.get('content-length'));
  if (declared > MAX_BODY_BYTES) {
    await response.body?.cancel().catch(() => undefined);
    throw new FetchError(`${url} answered with a body over ${MAX_BODY_BYTES} bytes`);
  }
  const text = await readCapped(response, url, signal);
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new FetchError(`${url} did not answer with valid JSON`);
  }
}

async function readCapped(response: Response, url: string, signal: AbortSignal): Promise<string> {
  if (response.body === null) return '';
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      size += value.byteLength;
      if (size > MAX_BODY_BYTES) {
        await reader.cancel().catch(() => undefined);
        throw new FetchError(`${url} answered with a body over ${MAX_BODY_BYTES} bytes`);
      }
      chunks.push(value);
    }
  } catch (error) {
    if (error instanceof FetchError) throw error;
    throw new FetchError(`${url} failed while sending its body (${describeFailure(error, signal)})`);
  }
  return Buffer.concat(chunks).toString('utf8');
}

function describeFailure(error: unknown, signal: AbortSignal): string {
  if (signal.aborted) {
    const reason: unknown = signal.reason;
    return reason instanceof Error && reason.name === 'TimeoutError' ? 'timed out' : 'aborted';
  }
  if (error instanceof Error) {
    const cause = (error as Error & { cause?: unknown }).cause;
    const code = typeof cause === 'object' && cause !== null && 'code' in cause ? String(cause.code) : undefined;
    return code ?? error.message;
  }
  return 'unknown error';
}

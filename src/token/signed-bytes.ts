/** A buffer reused by every synchronous check, grown to the largest token seen. @internal */
export interface Scratch {
  buffer: Buffer;
}

/** The scratch buffers of the synchronous path, which is never entered twice at once. @internal */
export const signingScratch: Scratch = { buffer: Buffer.allocUnsafeSlow(2048) };
/** @internal */
export const signatureScratch: Scratch = { buffer: Buffer.allocUnsafeSlow(512) };

/**
 * The bytes signed: header and payload as they were sent. The token passed the shape check:
 * ASCII only, so latin1 gives its bytes as they are. Written into `scratch` when given; a
 * check on the thread pool gets buffers of its own, since the pool reads them later.
 * @internal
 */
export function signingInputOf(token: string, payloadEnd: number, scratch: Scratch | undefined): Buffer {
  if (scratch === undefined) return Buffer.from(token.slice(0, payloadEnd), 'latin1');
  if (scratch.buffer.length < payloadEnd) scratch.buffer = Buffer.allocUnsafeSlow(payloadEnd);
  return scratch.buffer.subarray(0, scratch.buffer.write(token, 0, payloadEnd, 'latin1'));
}

/** The signature's bytes, decoded into `scratch` when given. @internal */
export function signatureOf(token: string, payloadEnd: number, scratch: Scratch | undefined): Buffer {
  const encoded = token.slice(payloadEnd + 1);
  if (scratch === undefined) return Buffer.from(encoded, 'base64url');
  const size = Math.ceil((encoded.length * 3) / 4);
  if (scratch.buffer.length < size) scratch.buffer = Buffer.allocUnsafeSlow(size);
  return scratch.buffer.subarray(0, scratch.buffer.write(encoded, 0, 'base64url'));
}

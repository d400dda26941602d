const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

/**
 * Whether the unpadded base64url text between `start` and `end` (its alphabet already checked)
 * is canonical: a length that is not 1 more than a multiple of 4, and a last character using
 * only the bits that carry data (RFC 4648 §3.5). base64url with non-zero padding bits decodes
 * like its canonical twin, so one signed token would otherwise have several spellings.
 * @internal
 */
export function canonicalBase64url(text: string, start: number, end: number): boolean {
  const spare = (end - start) % 4;
  if (spare === 0) return true;
  if (spare === 1) return false;
  const last = ALPHABET.indexOf(text.charAt(end - 1));
  return spare === 2 ? last % 16 === 0 : last % 4 === 0;
}

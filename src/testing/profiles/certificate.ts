/**
 * A self-signed X.509 certificate for a test RSA key, for the `x5c` member of JWKs of IdPs that
 * publish certificates (Keycloak, Entra, Auth0, GitHub Actions). Hand-written DER: node:crypto
 * parses certificates but does not make them, and the openssl CLI is not everywhere.
 */
import { createHash, KeyObject, sign } from 'node:crypto';
import type { CryptoKey } from 'jose';

const length = (n: number): Buffer =>
  n < 0x80 ? Buffer.from([n]) : n < 0x100 ? Buffer.from([0x81, n]) : Buffer.from([0x82, n >> 8, n & 0xff]);
const tlv = (tag: number, ...parts: Buffer[]): Buffer => {
  const content = Buffer.concat(parts);
  return Buffer.concat([Buffer.from([tag]), length(content.length), content]);
};
const hex = (text: string): Buffer => Buffer.from(text, 'hex');
const utcTime = (date: Date): Buffer => tlv(0x17, Buffer.from(`${date.toISOString().slice(2, 19).replace(/[-T:]/g, '')}Z`));

/** sha256WithRSAEncryption, NULL parameters. */
const SHA256_WITH_RSA = hex('300d06092a864886f70d01010b0500');

/** The certificate's DER, and its `x5t` (SHA-1) and `x5t#S256` thumbprints, base64url. */
export interface TestCertificate {
  der: Buffer;
  x5t: string;
  x5tS256: string;
}

/** Makes a certificate for an RSA key pair, valid from an hour ago for a day, subject `CN=<commonName>`. */
export function selfSignedCertificate(privateKey: CryptoKey, publicKey: CryptoKey, commonName: string): TestCertificate {
  const name = tlv(0x30, tlv(0x31, tlv(0x30, hex('0603550403'), tlv(0x0c, Buffer.from(commonName)))));
  const now = Date.now();
  const serial = Buffer.concat([Buffer.from([0x01]), Buffer.from(Array.from({ length: 8 }, () => Math.floor(Math.random() * 256)))]);
  const spki = KeyObject.from(publicKey).export({ type: 'spki', format: 'der' });
  const tbs = tlv(
    0x30,
    tlv(0xa0, tlv(0x02, Buffer.from([0x02]))),
    tlv(0x02, serial),
    SHA256_WITH_RSA,
    name,
    tlv(0x30, utcTime(new Date(now - 3_600_000)), utcTime(new Date(now + 86_400_000))),
    name,
    spki,
  );
  const signature = sign('sha256', tbs, KeyObject.from(privateKey));
  const der = tlv(0x30, tbs, SHA256_WITH_RSA, tlv(0x03, Buffer.from([0x00]), signature));
  return {
    der,
    x5t: createHash('sha1').update(der).digest('base64url'),
    x5tS256: createHash('sha256').update(der).digest('base64url'),
  };
}

/**
 * The algorithm table against every key type: for each supported `alg` and each kind of key
 * (right and wrong type, curve, size), `keyFits` and `signatureValid` say yes only for the
 * pairs the table allows, whatever signature the key's own private half produced. This is
 * where algorithm confusion would show (docs/security.md, "Key and algorithm are bound").
 */
import { constants, createPublicKey, generateKeyPairSync, randomBytes, sign, type KeyObject, type SignKeyObjectInput } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { SUPPORTED_ALGORITHMS } from '../../src/index.js';
import { keyFits, toVerificationKey, type VerificationKey } from '../../src/issuer/jwk.js';
import { JWS_ALGORITHMS, jwsAlgorithm } from '../../src/issuer/jws-algorithms.js';
import { signatureValid } from '../../src/token/signature.js';
import { signatureValidOnPool } from '../../src/token/signature-pool.js';

interface TestKey {
  name: string;
  privateKey: KeyObject | undefined;
  /** Through a JWKS (`toVerificationKey`), or built by hand for keys a JWK cannot express. */
  key: VerificationKey;
}

function fromJwk(name: string, privateKey: KeyObject, publicKey: KeyObject): TestKey {
  const key = toVerificationKey(publicKey.export({ format: 'jwk' }));
  if (typeof key === 'string') throw new Error(`${name}: ${key}`);
  return { name, privateKey, key };
}

/** A VerificationKey around any KeyObject, as if the JWK checks had been fooled. */
function byHand(name: string, privateKey: KeyObject | undefined, publicKey: KeyObject, kty: 'RSA' | 'EC' | 'OKP', crv?: string): TestKey {
  return {
    name,
    privateKey,
    key: { kid: undefined, alg: undefined, kty, crv, fingerprint: name, live: true, keyObject: publicKey, jwk: { kty } },
  };
}

const rsa2048 = generateKeyPairSync('rsa', { modulusLength: 2048 });
const rsa3072 = generateKeyPairSync('rsa', { modulusLength: 3072 });
const rsa1024 = generateKeyPairSync('rsa', { modulusLength: 1024 });
const rsaPss = generateKeyPairSync('rsa-pss', { modulusLength: 2048 });
const p256 = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const p384 = generateKeyPairSync('ec', { namedCurve: 'P-384' });
const p521 = generateKeyPairSync('ec', { namedCurve: 'P-521' });
const k256 = generateKeyPairSync('ec', { namedCurve: 'secp256k1' });
const ed25519 = generateKeyPairSync('ed25519');
const ed448 = generateKeyPairSync('ed448');
const x25519 = generateKeyPairSync('x25519');

const KEYS: TestKey[] = [
  fromJwk('rsa 2048', rsa2048.privateKey, rsa2048.publicKey),
  fromJwk('rsa 3072', rsa3072.privateKey, rsa3072.publicKey),
  byHand('rsa 1024', rsa1024.privateKey, rsa1024.publicKey, 'RSA'),
  byHand('rsa-pss 2048', rsaPss.privateKey, rsaPss.publicKey, 'RSA'),
  fromJwk('ec P-256', p256.privateKey, p256.publicKey),
  fromJwk('ec P-384', p384.privateKey, p384.publicKey),
  fromJwk('ec P-521', p521.privateKey, p521.publicKey),
  fromJwk('ec secp256k1', k256.privateKey, k256.publicKey),
  // A P-256 key labelled as P-384 in its JWK: the imported key's curve must decide too.
  byHand('ec P-256 labelled P-384', p256.privateKey, p256.publicKey, 'EC', 'P-384'),
  fromJwk('okp Ed25519', ed25519.privateKey, ed25519.publicKey),
  fromJwk('okp Ed448', ed448.privateKey, ed448.publicKey),
  fromJwk('okp X25519', x25519.privateKey, x25519.publicKey),
  // An Ed25519 key labelled as RSA: nothing RSA may run on it.
  byHand('ed25519 labelled RSA', ed25519.privateKey, ed25519.publicKey, 'RSA'),
];

/** The pairs the table allows, by key name: the only ones anything may accept. */
const RIGHT: Record<string, string[]> = {
  'rsa 2048': ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512'],
  'rsa 3072': ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512'],
  'ec P-256': ['ES256'],
  'ec P-384': ['ES384'],
  'ec P-521': ['ES512'],
  'okp Ed25519': ['EdDSA', 'Ed25519'],
};

const SCHEMES: Record<string, Omit<SignKeyObjectInput, 'key'>> = {
  pkcs1: {},
  'pss salt 32': { padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 },
  'pss salt 48': { padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 48 },
  'pss salt 64': { padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 64 },
  'pss longest salt': { padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: constants.RSA_PSS_SALTLEN_MAX_SIGN },
  p1363: { dsaEncoding: 'ieee-p1363' },
  der: { dsaEncoding: 'der' },
};

/** The scheme each algorithm signs with: the only signature it may accept from the right key. */
function ownScheme(alg: string): string {
  const algorithm = jwsAlgorithm(alg);
  if (algorithm === undefined) throw new Error(`${alg} is not in the table`);
  if (algorithm.keyType === 'ed25519') return 'null plain';
  if (algorithm.keyType === 'ec') return `${algorithm.hash} p1363`;
  return `${algorithm.hash} ${algorithm.pssSaltLength === undefined ? 'pkcs1' : `pss salt ${algorithm.pssSaltLength}`}`;
}

/**
 * Every signature `privateKey` can make, by digest and scheme (one per distinct result: an
 * EdDSA key ignores the RSA and ECDSA options), and random bytes of every length in play.
 */
function signaturesBy(privateKey: KeyObject | undefined, input: Buffer): Array<{ made: string; signature: Buffer }> {
  const made: Array<{ made: string; signature: Buffer }> = [];
  if (privateKey !== undefined) {
    const type = privateKey.asymmetricKeyType;
    const edwards = type === 'ed25519' || type === 'ed448';
    for (const hash of edwards ? [null] : ['sha256', 'sha384', 'sha512']) {
      const { p1363, der, ...rsa } = SCHEMES;
      const schemes = edwards ? { plain: {} } : type === 'ec' ? { p1363, der } : rsa;
      for (const [scheme, options] of Object.entries(schemes)) {
        try {
          made.push({ made: `${hash} ${scheme}`, signature: sign(hash, input, { key: privateKey, ...options }) });
        } catch {
          // This key cannot sign that way (an X25519 key, a salt too long for the modulus).
        }
      }
    }
  }
  for (const length of [0, 64, 96, 114, 132, 128, 256, 384]) made.push({ made: `${length} random bytes`, signature: randomBytes(length) });
  return made;
}

describe('the algorithm table', () => {
  it('covers exactly the supported algorithms', () => {
    expect(Object.keys(JWS_ALGORITHMS).sort()).toEqual([...SUPPORTED_ALGORITHMS].sort());
    for (const name of ['none', 'HS256', 'constructor', '__proto__', 'toString', 'rs256', 'ES256K']) {
      expect(jwsAlgorithm(name), name).toBeUndefined();
    }
  });

  it('states the digest, the encoding and the exact signature length of each algorithm', () => {
    expect(jwsAlgorithm('ES256')).toMatchObject({ namedCurve: 'prime256v1', hash: 'sha256', signatureBytes: 64 });
    expect(jwsAlgorithm('ES384')).toMatchObject({ namedCurve: 'secp384r1', hash: 'sha384', signatureBytes: 96 });
    expect(jwsAlgorithm('ES512')).toMatchObject({ namedCurve: 'secp521r1', hash: 'sha512', signatureBytes: 132 });
    expect(jwsAlgorithm('PS384')).toMatchObject({ keyType: 'rsa', hash: 'sha384', pssSaltLength: 48, signatureBytes: 'modulus' });
    expect(jwsAlgorithm('EdDSA')).toMatchObject({ keyType: 'ed25519', hash: null, signatureBytes: 64 });
  });
});

describe('every algorithm against every key type', () => {
  const input = Buffer.from('eyJhbGciOiJub25lIn0.eyJzdWIiOiJtYXRyaXgifQ');
  let pairs = 0;
  let accepted = 0;

  for (const alg of SUPPORTED_ALGORITHMS) {
    for (const { name, privateKey, key } of KEYS) {
      const right = RIGHT[name]?.includes(alg) ?? false;
      it(`${alg} with ${name}: ${right ? 'accepted with its own signature only' : 'refused'}, on both paths`, async () => {
        pairs += 1;
        const algorithm = jwsAlgorithm(alg);
        if (algorithm === undefined) throw new Error(`${alg} is not in the table`);
        expect(keyFits(key, alg)).toBe(right);
        const verdicts = signaturesBy(privateKey, input).map(({ made, signature }) => ({
          made,
          signature,
          valid: signatureValid(algorithm, key, input, signature),
        }));
        // The thread-pool path (node:crypto's callback form) gives the same verdict for every signature.
        for (const { made, signature, valid } of verdicts) {
          const onPool = await new Promise<boolean>((resolve) => signatureValidOnPool(algorithm, key, input, signature, resolve));
          expect(onPool, made).toBe(valid);
        }
        const valid = verdicts.filter((verdict) => verdict.valid).map((verdict) => verdict.made);
        if (!right) {
          expect(valid).toEqual([]);
          return;
        }
        accepted += 1;
        expect(valid).toEqual([ownScheme(alg)]);
      });
    }
  }

  it('ran the whole matrix and accepted only the pairs of the table', () => {
    expect(pairs).toBe(SUPPORTED_ALGORITHMS.length * KEYS.length);
    expect(accepted).toBe(Object.values(RIGHT).flat().length);
  });

  it('refuses a signature one byte short or long, or with a key of the right type from elsewhere', () => {
    const algorithm = jwsAlgorithm('RS256');
    if (algorithm === undefined) throw new Error('RS256 is not in the table');
    const [good] = KEYS;
    if (good === undefined || good.privateKey === undefined) throw new Error('no RSA key');
    const signature = sign('sha256', input, good.privateKey);
    expect(signatureValid(algorithm, good.key, input, signature)).toBe(true);
    expect(signatureValid(algorithm, good.key, input, signature.subarray(1))).toBe(false);
    expect(signatureValid(algorithm, good.key, input, Buffer.concat([Buffer.alloc(1), signature]))).toBe(false);
    const other = toVerificationKey(createPublicKey(generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey).export({ format: 'jwk' }));
    if (typeof other === 'string') throw new Error(other);
    expect(signatureValid(algorithm, other, input, signature)).toBe(false);
  });
});

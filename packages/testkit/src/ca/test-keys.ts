import { createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';

/** The committed key fixture (TEST ONLY keys, see scripts/generate-test-keys.ts). */
const fixtureSchema = z.object({
  warning: z.string(),
  format: z.string(),
  keys: z.record(z.string(), z.string().regex(/^[A-Za-z0-9+/]+=*$/)),
});

// From src/ca/*.ts (vitest, tsx) the fixture is two levels up; from the tsup bundle in dist/ it is one level up.
const candidates = ['../../fixtures/test-keys.json', '../fixtures/test-keys.json'];

let cache: Record<string, string> | undefined;

function loadFixture(): Record<string, string> {
  if (cache) return cache;
  for (const candidate of candidates) {
    const path = fileURLToPath(new URL(candidate, import.meta.url));
    if (existsSync(path)) {
      cache = fixtureSchema.parse(JSON.parse(readFileSync(path, 'utf8'))).keys;
      return cache;
    }
  }
  throw new Error('testkit fixture fixtures/test-keys.json not found next to the package (is it shipped?)');
}

/** Labels present in the fixture, e.g. `ca.production-like.sign.g3`, `persona.taro.auth`. */
export function testKeyLabels(): string[] {
  return Object.keys(loadFixture());
}

/** True when the fixture holds a key for `label`. */
export function hasTestKey(label: string): boolean {
  return loadFixture()[label] !== undefined;
}

/** PKCS#8 DER of a fixture key. Throws for an unknown label. */
export function testKeyPkcs8(label: string): Uint8Array {
  const b64 = loadFixture()[label];
  if (b64 === undefined) throw new Error(`no test key labelled ${label}`);
  return new Uint8Array(Buffer.from(b64, 'base64'));
}

/**
 * The fixture key for `label`, or a freshly generated RSA-2048 key when the fixture has none
 * (then everything issued with it is no longer deterministic across runs).
 */
export function testKeyOrFresh(label: string): Uint8Array {
  if (hasTestKey(label)) return testKeyPkcs8(label);
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048, publicExponent: 65537 });
  return new Uint8Array(privateKey.export({ type: 'pkcs8', format: 'der' }));
}

/** node:crypto private key object from PKCS#8 DER. */
export function privateKeyObject(pkcs8: Uint8Array): KeyObject {
  return createPrivateKey({ key: Buffer.from(pkcs8), format: 'der', type: 'pkcs8' });
}

/** SubjectPublicKeyInfo DER of a PKCS#8 RSA private key. */
export function spkiOf(pkcs8: Uint8Array): Uint8Array {
  return new Uint8Array(createPublicKey(privateKeyObject(pkcs8)).export({ type: 'spki', format: 'der' }));
}

/** PKCS#1 RSAPublicKey DER of a PKCS#8 RSA private key (what the JPKI SKI hashes). */
export function rsaPublicKeyOf(pkcs8: Uint8Array): Uint8Array {
  return new Uint8Array(createPublicKey(privateKeyObject(pkcs8)).export({ type: 'pkcs1', format: 'der' }));
}

/** RSA modulus and public exponent as unsigned big-endian bytes (no leading zero). */
export function rsaComponentsOf(pkcs8: Uint8Array): { n: Uint8Array; e: Uint8Array } {
  const jwk = createPublicKey(privateKeyObject(pkcs8)).export({ format: 'jwk' });
  if (typeof jwk.n !== 'string' || typeof jwk.e !== 'string') throw new Error('not an RSA key');
  return {
    n: new Uint8Array(Buffer.from(jwk.n, 'base64url')),
    e: new Uint8Array(Buffer.from(jwk.e, 'base64url')),
  };
}

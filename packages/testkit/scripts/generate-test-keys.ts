/**
 * Regenerates packages/testkit/fixtures/test-keys.json: RSA-2048 keys (e = 65537) for the test CAs, the card issuer
 * and the personas. The fixture is committed so that certificates and cards are deterministic and fast to build.
 * These keys are public test data: TEST ONLY, never trust anything they sign.
 *
 *   pnpm exec tsx packages/testkit/scripts/generate-test-keys.ts [--force]
 *
 * Without --force, existing labels keep their key and only missing labels are generated, so adding a persona
 * does not change the certificates of the others.
 */
import { generateKeyPairSync } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const labels = [
  // The mock J-LIS roots: three generations under one DN per type (2015/2019/2023 patterns) and a JPKI-TEST pair.
  ...['sign', 'auth'].flatMap((type) => [1, 2, 3].map((g) => `ca.production-like.${type}.g${g}`)),
  'ca.test.sign.g1',
  'ca.test.auth.g1',
  // Card-issuer keys for the 券面事項入力補助AP integrity signature, its CV certificate and the 券面AP signatures.
  'card.text-ap.issuer',
  'card.text-ap.cvca',
  'card.visual-ap.issuer',
  // Two keys per persona (利用者証明用 and 署名用).
  ...['taro', 'hanako', 'sakura', 'kiyoshi', 'hikaru', 'yoshiko'].flatMap((id) => [
    `persona.${id}.auth`,
    `persona.${id}.sign`,
  ]),
  // Spares for later personas and variants.
  'spare.1',
  'spare.2',
  'spare.3',
];

const target = fileURLToPath(new URL('../fixtures/test-keys.json', import.meta.url));
const force = process.argv.includes('--force');
const existing: Record<string, string> =
  !force && existsSync(target)
    ? (JSON.parse(readFileSync(target, 'utf8')) as { keys: Record<string, string> }).keys
    : {};

const keys: Record<string, string> = {};
for (const label of labels) {
  const old = existing[label];
  if (old !== undefined) {
    keys[label] = old;
    continue;
  }
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048, publicExponent: 65537 });
  keys[label] = privateKey.export({ type: 'pkcs8', format: 'der' }).toString('base64');
}

const fixture = {
  warning:
    'TEST ONLY. These RSA private keys are published on purpose for the mynakit test suite. Never trust a certificate or signature made with them.',
  format: 'PKCS#8 DER, base64; RSA-2048, e=65537',
  generator: 'packages/testkit/scripts/generate-test-keys.ts',
  keys,
};
writeFileSync(target, `${JSON.stringify(fixture, null, 2)}\n`);
console.log(`wrote ${Object.keys(keys).length} keys to ${target}`);

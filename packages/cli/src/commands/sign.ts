import { readFile, writeFile } from 'node:fs/promises';
import type { HashAlgorithm, JpkiKey } from '@mynakit/card';
import { type CardCommandOptions, withCard } from '../card-access.js';
import { readSecret } from '../secrets.js';

const HASHES: Record<string, HashAlgorithm> = {
  sha1: 'SHA-1',
  sha256: 'SHA-256',
  sha384: 'SHA-384',
  sha512: 'SHA-512',
};

export const HASH_CHOICES = Object.keys(HASHES);

/** Sign a file with the card: the host hashes it, the card signs the DigestInfo (PKCS#1 v1.5). */
export async function signCommand(
  options: CardCommandOptions & { key: JpkiKey; hash: string; in: string; out: string; pinEnv?: string },
): Promise<void> {
  const data = await readFile(options.in);
  const signature = await withCard(options, async (card) => {
    if (options.key === 'auth') {
      await card.jpki.verifyAuthPin(
        await readSecret({ envVar: options.pinEnv, prompt: 'User-authentication PIN (4 digits)' }),
      );
    } else {
      await card.jpki.verifySignPassword(
        await readSecret({ envVar: options.pinEnv, prompt: 'Signing password (6–16 characters)' }),
      );
    }
    return card.jpki.sign(options.key, data, HASHES[options.hash]!);
  });
  await writeFile(options.out, signature);
  process.stdout.write(`wrote a ${signature.length}-byte ${options.key}-key signature to ${options.out}\n`);
}

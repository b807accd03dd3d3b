import { writeFile } from 'node:fs/promises';
import type { JpkiCertificateName } from '@mynakit/card';
import { type CardCommandOptions, withCard } from '../card-access.js';
import { formatSummary, summarizeCertificate, toPem } from '../certificate-summary.js';
import { readSecret } from '../secrets.js';

const NAMES: Record<string, JpkiCertificateName> = {
  auth: 'auth',
  sign: 'sign',
  'auth-ca': 'authCa',
  'sign-ca': 'signCa',
};

export const CERTIFICATE_CHOICES = Object.keys(NAMES);

export async function certReadCommand(
  which: string,
  options: CardCommandOptions & { out?: string; pem?: boolean; pinEnv?: string },
): Promise<void> {
  const name = NAMES[which]!;
  const der = await withCard(options, async (card) => {
    if (name === 'sign') {
      const password = await readSecret({
        envVar: options.pinEnv,
        prompt: 'Signing password (6–16 characters)',
      });
      await card.jpki.verifySignPassword(password);
    }
    return card.jpki.readCertificate(name);
  });
  const output = options.pem ? toPem(der) : der;
  if (options.out) {
    await writeFile(options.out, output);
    process.stdout.write(`wrote ${which} certificate to ${options.out}\n`);
  } else if (options.pem) {
    process.stdout.write(output as string);
  } else {
    // Binary DER is not for a terminal: show a summary (no basic four) unless --out or --pem.
    process.stdout.write(`${formatSummary(`${which} certificate`, summarizeCertificate(der))}\n`);
  }
}

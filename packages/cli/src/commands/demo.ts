import { verify, X509Certificate } from 'node:crypto';
import { MyNumberCard } from '@mynakit/card';
import { PcscTransport } from '@mynakit/card/pcsc';
import { createVirtualCard, getPersona, VirtualCardSlot } from '@mynakit/testkit';
import { emit } from '../output.js';
import { type CardInfo, formatCardInfo, gatherCardInfo } from './card-info.js';

interface DemoResult {
  persona: string;
  steps: { at: number; step: string }[];
  card: CardInfo;
  authSignatureVerified: boolean;
}

/**
 * The whole stack in one run: a virtual card is put into pcscd's vpcd reader and the SDK reads it through
 * PC/SC exactly as it would read a real card. Exits non-zero unless every outcome is the expected one.
 */
export async function demoCommand(options: { persona: string; json?: boolean }): Promise<void> {
  const started = performance.now();
  const steps: DemoResult['steps'] = [];
  const step = (text: string) => {
    const at = Math.round(performance.now() - started) / 1000;
    steps.push({ at, step: text });
    if (!options.json) process.stdout.write(`[${at.toFixed(2)}s] ${text}\n`);
  };

  const persona = getPersona(options.persona);
  const virtualCard = await createVirtualCard({ persona: persona.id });
  const slot = new VirtualCardSlot(virtualCard);
  step(`virtual card for persona "${persona.id}" built (test CAs, RSA-2048 keys, JPEG 2000 face photo)`);
  await slot.insert();
  step(`card inserted into pcscd reader "${slot.reader}"`);

  const transport = new PcscTransport();
  try {
    const card = await MyNumberCard.open(transport, slot.reader);
    step('My Number Card detected by SELECT of the JPKI application');
    const info = await gatherCardInfo(card);
    step(
      `read applications, tries left of ${info.pins.length} PINs and 3 certificates (${card.apduCount} APDUs)`,
    );

    const challenge = new TextEncoder().encode(`mynakit demo challenge ${new Date().toISOString()}`);
    await card.jpki.verifyAuthPin(persona.pins.auth);
    const signature = await card.jpki.sign('auth', challenge, 'SHA-256');
    const authCert = new X509Certificate(await card.jpki.readCertificate('auth'));
    const authSignatureVerified = verify('sha256', challenge, authCert.publicKey, signature);
    step(
      `signed a challenge with the auth key: signature ${authSignatureVerified ? 'verifies' : 'DOES NOT verify'}`,
    );
    await card.close();

    const result: DemoResult = { persona: persona.id, steps, card: info, authSignatureVerified };
    emit(options.json ?? false, result, (r) => `\n${formatCardInfo(r.card)}`);
    const expected =
      authSignatureVerified &&
      info.applications.jpki === true &&
      info.applications.inputSupport === true &&
      info.applications.cardSurface === true &&
      info.pins.every((pin) => !pin.blocked);
    if (!expected) {
      process.stderr.write('mynakit demo: an outcome was not the expected one\n');
      process.exitCode = 1;
    }
  } finally {
    await transport.close();
    await slot.remove().catch(() => undefined);
  }
}

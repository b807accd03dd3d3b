import { MyNumberCard, type MyNumberCardOptions } from '@mynakit/card';
import { PcscTransport } from '@mynakit/card/pcsc';
import { createVirtualCard, getPersona, VirtualCardSlot } from '@mynakit/testkit';

/**
 * APDU count and wall time of two sequences against the virtual card on the real pcscd + vpcd stack:
 * reading the four JPKI certificates, and the eKYC sequence (read the auth certificate, verify the PIN, sign).
 * Each iteration starts from a reconnected card (nothing selected, nothing verified).
 */
export interface SequenceResult {
  sequence: string;
  mode: string;
  apdus: number;
  protocolMinimum: number;
  medianMs: number;
  p90Ms: number;
}

const ITERATIONS = Number(process.env.BENCH_ITERATIONS ?? 30);

export async function benchCardSequences(): Promise<SequenceResult[]> {
  const persona = getPersona('taro');
  const results: SequenceResult[] = [];
  for (const extended of [true, false]) {
    const virtualCard = await createVirtualCard({ persona: persona.id, extendedLength: extended });
    const slot = new VirtualCardSlot(virtualCard);
    await slot.insert();
    const transport = new PcscTransport();
    try {
      for (const lockGuard of [true, false]) {
        const options: MyNumberCardOptions = { extendedLength: 'auto' };
        const card = await MyNumberCard.open(transport, slot.reader, options);
        const guard = lockGuard ? {} : { acceptLockRisk: true };
        const mode = `${extended ? 'extended APDUs' : 'short APDUs only'}, lock guard ${lockGuard ? 'on' : 'off'}`;
        // Reading the certificates: one SELECT of the AP; per certificate one SELECT EF and the READs; the
        // signing password costs SELECT EF + VERIFY (+ the guard's tries query).
        const certReads = extended ? 4 : 0;
        results.push(
          await measure(
            'read the four certificates',
            mode,
            card,
            async () => {
              for (const name of ['auth', 'authCa', 'signCa'] as const) await card.jpki.readCertificate(name);
              await card.jpki.verifySignPassword(persona.pins.sign!, guard);
              await card.jpki.readCertificate('sign');
            },
            extended ? 1 + 4 * 2 + 2 : 1 + 4 + 2 + (await shortReads(card, persona.pins.sign!)) - certReads,
          ),
        );
        const challenge = new Uint8Array(32).fill(7);
        results.push(
          await measure(
            'eKYC: read auth cert + verify PIN + sign',
            mode,
            card,
            async () => {
              await card.jpki.readCertificate('auth');
              await card.jpki.verifyAuthPin(persona.pins.auth, guard);
              await card.jpki.sign('auth', challenge, 'SHA-256');
            },
            1 + 1 + (extended ? 1 : await authShortReads(card)) + 2 + 2,
          ),
        );
        await card.close();
      }
    } finally {
      await transport.close();
      await slot.remove();
    }
  }
  return results;
}

async function measure(
  sequence: string,
  mode: string,
  card: MyNumberCard,
  body: () => Promise<void>,
  protocolMinimum: number,
): Promise<SequenceResult> {
  const times: number[] = [];
  let apdus = 0;
  for (let i = 0; i < ITERATIONS; i++) {
    await card.reconnect();
    const before = card.apduCount;
    const start = performance.now();
    await body();
    times.push(performance.now() - start);
    apdus = card.apduCount - before;
  }
  times.sort((a, b) => a - b);
  return {
    sequence,
    mode,
    apdus,
    protocolMinimum,
    medianMs: round(times[Math.floor(times.length / 2)]!),
    p90Ms: round(times[Math.floor(times.length * 0.9)]!),
  };
}

/** With 256-byte reads the minimum number of READ BINARYs of a certificate is ceil(length / 256). */
async function shortReads(card: MyNumberCard, password: string): Promise<number> {
  let reads = 0;
  for (const name of ['auth', 'authCa', 'signCa'] as const) {
    reads += Math.ceil((await card.jpki.readCertificate(name)).length / 256);
  }
  await card.jpki.verifySignPassword(password);
  reads += Math.ceil((await card.jpki.readCertificate('sign')).length / 256);
  return reads;
}

async function authShortReads(card: MyNumberCard): Promise<number> {
  return Math.ceil((await card.jpki.readCertificate('auth')).length / 256);
}

const round = (ms: number) => Math.round(ms * 100) / 100;

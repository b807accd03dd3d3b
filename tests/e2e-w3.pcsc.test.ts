import { CardError, hasErrorCode } from '@mynakit/card';
import type { Persona, VirtualMyNumberCard } from '@mynakit/testkit';
import { dammCheckDigit, isDammValid } from '@mynakit/workflows';
import {
  KioskClient,
  type KioskJob,
  type KioskProgress,
  PhoneClient,
  type PrintRequest,
} from '@mynakit/workflows/device';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  api,
  DATABASES,
  type E2e,
  expectNoPersonalDataInLogs,
  freshPersona,
  serialOf,
  serverClient,
  startE2e,
  withCard,
} from './support/e2e.js';

/*
 * W3 (certificate issuance with a reception number) end to end: the phone's card in pcscd's reader (vpcd port
 * 35963) with the PhoneClient (no API key: the card authenticates it), the KioskClient with the kiosk's key, the
 * reference server on SQLite and PostgreSQL, the mock J-LIS (revocation) and the mock issuance server.
 * Rules proven elsewhere:
 * - "Every state change is durable…; a number printed once" after a SIGKILL at each step: tests/crash-w3.test.ts.
 * - "retention … purged": tests/e2e-w1.pcsc.test.ts and tests/retention-purge.test.ts.
 */

const HOUR_MS = 60 * 60 * 1000;
const W3_WORKFLOW = 'certificate-issuance';

class RecordingPrinter {
  readonly jobs: KioskJob[] = [];
  async print(job: KioskJob): Promise<void> {
    this.jobs.push(job);
  }
}

describe.each(DATABASES)('W3 certificate issuance with a reception number over pcscd (%s)', (kind) => {
  let e2e: E2e;
  let shiftMs = 0;
  const personas: Persona[] = [];
  let devices = 0;
  const numbers: string[] = [];

  beforeAll(async () => {
    // The server's (and J-LIS's) clock, moved forward by the expiry test.
    // No face pool: W3 compares no faces (and the pool costs seconds to start).
    e2e = await startE2e(kind, 'w3', {
      clock: () => new Date(Date.now() + shiftMs),
      config: { face: undefined },
    });
  }, 120_000);

  afterAll(async () => {
    await e2e?.close();
  });

  async function newCard(): Promise<{ persona: Persona; virtual: VirtualMyNumberCard }> {
    const persona = freshPersona('hanako');
    personas.push(persona);
    return { persona, virtual: await e2e.env.jlis.issueCard(persona) };
  }

  function kiosk() {
    const printer = new RecordingPrinter();
    const client = new KioskClient({
      server: serverClient(e2e, 'kiosk'),
      printer,
      pollWaitSeconds: 2,
      timeoutMs: 30_000,
    });
    const events: KioskProgress[] = [];
    client.on('progress', (event) => events.push(event));
    return { client, printer, events };
  }

  /** The phone applies with its card in the reader and keeps the number it gets back. */
  async function applyOnPhone(
    application: Parameters<PhoneClient['apply']>[0]['application'] = {
      certificateKind: 'seal-registration',
      copies: 1,
    },
  ) {
    const { persona, virtual } = await newCard();
    const deviceId = `phone-${kind}-${++devices}`;
    // The phone object outlives the card session: it answers the print request without the card.
    const { phone, applied } = await withCard(virtual, async (card) => {
      const phone = new PhoneClient({ card, server: serverClient(e2e), deviceId, pollWaitSeconds: 2 });
      return { phone, applied: await phone.apply({ authPin: persona.pins.auth, application }) };
    });
    numbers.push(applied.receptionNumber);
    return { persona, virtual, deviceId, phone, ...applied };
  }

  const w3Cases = async () =>
    (await e2e.env.server.runtime.listCases({ workflow: W3_WORKFLOW, limit: 500 })).length;

  describe('an application collected at a kiosk', () => {
    let applied: Awaited<ReturnType<typeof applyOnPhone>>;
    let request: PrintRequest | null;
    let beforeAnswer: { printed: number; documents: number; kioskSteps: string[] };
    let result: Awaited<ReturnType<KioskClient['collect']>>;
    let printer: RecordingPrinter;
    let appliedAt: number;

    beforeAll(async () => {
      appliedAt = Date.now();
      applied = await applyOnPhone({
        certificateKind: 'resident-record',
        copies: 2,
        options: { scope: 'household', includeRelationship: true },
      });
      const k = kiosk();
      printer = k.printer;
      const collecting = k.client.collect(applied.receptionNumber);
      collecting.catch(() => undefined);
      request = await applied.phone.waitForPrintRequest(applied.receptionNumber, { timeoutMs: 30_000 });
      // The kiosk has presented the number and waits; give it a long-poll round before the phone answers.
      await new Promise((resolve) => setTimeout(resolve, 300));
      beforeAnswer = {
        printed: printer.jobs.length,
        documents: e2e.env.issuanceServer.documentsIssued(),
        kioskSteps: k.events.map((e) => e.step),
      };
      await applied.phone.answer(applied.receptionNumber, 'print');
      result = await collecting;
    }, 120_000);

    it('W3.2 the phone sends the application (certificate, copies, options) to the issuance server', () => {
      expect(request).toMatchObject({ certificateKind: 'resident-record', copies: 2 });
      const documents = e2e.env.issuanceServer.documents();
      const mine = documents.filter((d) => d.certificateKind === 'resident-record' && d.copies === 2);
      expect(mine).toHaveLength(1);
      expect(printer.jobs[0]).toMatchObject({ certificateKind: 'resident-record', copies: 2 });
    });

    it('W3.3 the issuance server generates a reception number and returns it to the phone', () => {
      const number = applied.receptionNumber.replace(/\D/g, '');
      expect(number).toMatch(/^\d{16}$/);
      expect(isDammValid(number)).toBe(true);
      expect(String(dammCheckDigit(number.slice(0, 15)))).toBe(number.at(-1));
      const expires = Date.parse(applied.expiresAt);
      expect(expires).toBeGreaterThan(appliedAt);
      expect(expires).toBeLessThanOrEqual(appliedAt + 25 * HOUR_MS);
    });

    it('W3.4 the kiosk sends the number it was given to the issuance server', () => {
      expect(beforeAnswer.kioskSteps).toEqual(['presented', 'waiting-for-phone']);
      // The print request names the kiosk that presented the number (its id comes from its key).
      expect(request).toMatchObject({ kioskId: 'kiosk-1' });
    });

    it('W3.5 nothing prints until the phone says print', () => {
      expect(beforeAnswer).toMatchObject({ printed: 0 });
      expect(beforeAnswer.documents).toBe(e2e.env.issuanceServer.documentsIssued() - 1);
      expect(result.outcome).toBe('printed');
      expect(printer.jobs).toHaveLength(1);
      expect(printer.jobs[0]!.document.length).toBeGreaterThan(100);
    });

    it('Rule: reception numbers are single use', async () => {
      const again = await kiosk().client.collect(applied.receptionNumber);
      expect(again).toEqual({ outcome: 'not-available' });
      await expect(
        applied.phone.waitForPrintRequest(applied.receptionNumber, { timeoutMs: 1000 }),
      ).resolves.toBeNull();
    });
  });

  it('W3.5 when the phone declines, the kiosk prints nothing', async () => {
    const applied = await applyOnPhone({ certificateKind: 'tax', copies: 1, options: { fiscalYear: 2025 } });
    const documents = e2e.env.issuanceServer.documentsIssued();
    const k = kiosk();
    const collecting = k.client.collect(applied.receptionNumber);
    const request = await applied.phone.waitForPrintRequest(applied.receptionNumber, { timeoutMs: 30_000 });
    expect(request).toMatchObject({ certificateKind: 'tax', kioskId: 'kiosk-1' });
    expect(await applied.phone.answer(applied.receptionNumber, 'decline')).toBe('declined');
    expect(await collecting).toEqual({ outcome: 'declined' });
    expect(k.printer.jobs).toHaveLength(0);
    expect(e2e.env.issuanceServer.documentsIssued()).toBe(documents);
  }, 60_000);

  it('W3.1 a wrong PIN stops the phone at the card: nothing is sent', async () => {
    const { persona, virtual } = await newCard();
    const cases = await w3Cases();
    const wrongPin = persona.pins.auth === '0000' ? '1111' : '0000';
    const failure = await withCard(virtual, (card) =>
      new PhoneClient({ card, server: serverClient(e2e), deviceId: 'phone-wrong-pin' })
        .apply({ authPin: wrongPin, application: { certificateKind: 'seal-registration', copies: 1 } })
        .catch((e: unknown) => e),
    );
    expect(failure).toBeInstanceOf(CardError);
    expect(hasErrorCode(failure, 'WRONG_PIN')).toBe(true);
    expect(await w3Cases()).toBe(cases);
  }, 60_000);

  it('W3.1 the server verifies the card signature over its challenge and the certificate: forged or revoked is refused', async () => {
    const { persona, virtual } = await newCard();
    const cases = await w3Cases();
    const b64 = (bytes: Uint8Array) => Buffer.from(bytes).toString('base64');
    await withCard(virtual, async (card) => {
      const signed = async (sign: (challenge: Uint8Array) => Promise<Uint8Array>) => {
        const challenge = await api(e2e, null, '/w3/challenge', { deviceId: 'phone-auth-check' });
        expect(challenge.status).toBe(200);
        const signature = await sign(Buffer.from(challenge.json.challenge, 'base64'));
        return api(e2e, null, '/w3/applications', {
          deviceId: 'phone-auth-check',
          application: { certificateKind: 'seal-registration', copies: 1 },
          auth: {
            challengeId: challenge.json.challengeId,
            certificate: b64(await card.jpki.readCertificate('auth')),
            signature: b64(signature),
          },
        });
      };
      await card.jpki.verifyAuthPin(persona.pins.auth);
      // A signature over other bytes than the server's challenge.
      const forged = await signed(() => card.jpki.sign('auth', Uint8Array.of(1, 2, 3), 'SHA-256'));
      expect(forged).toMatchObject({ status: 401, json: { error: { code: 'SIGNATURE_INVALID' } } });
      // A correct signature, but J-LIS has revoked the certificate.
      e2e.env.jlis.revoke('auth', serialOf(virtual.certificates.auth), 'keyCompromise');
      const revoked = await signed((challenge) => card.jpki.sign('auth', challenge, 'SHA-256'));
      expect(revoked).toMatchObject({ status: 403, json: { error: { code: 'CERTIFICATE_REVOKED' } } });
    });
    expect(await w3Cases()).toBe(cases);
  }, 60_000);

  it('Rule: reception numbers cannot be guessed: a mistyped or made-up number is not available', async () => {
    const applied = await applyOnPhone();
    const digits = applied.receptionNumber.replace(/\D/g, '');
    const typo = `${digits.slice(0, 5)}${(Number(digits[5]) + 1) % 10}${digits.slice(6)}`;
    expect(await kiosk().client.collect(typo)).toEqual({ outcome: 'not-available' });
    const madeUp = '123456789012345';
    expect(await kiosk().client.collect(`${madeUp}${dammCheckDigit(madeUp)}`)).toEqual({
      outcome: 'not-available',
    });
    // The real number is untouched by the failed guesses.
    const phoneWaits = applied.phone.waitForPrintRequest(applied.receptionNumber, { timeoutMs: 30_000 });
    const k = kiosk();
    const collecting = k.client.collect(applied.receptionNumber);
    expect(await phoneWaits).toMatchObject({ kioskId: 'kiosk-1' });
    await applied.phone.answer(applied.receptionNumber, 'print');
    expect((await collecting).outcome).toBe('printed');
  }, 60_000);

  it('Rule: reception numbers expire', async () => {
    const applied = await applyOnPhone();
    // Known and waiting for a kiosk today (the phone's wait answers without error)…
    await expect(
      applied.phone.waitForPrintRequest(applied.receptionNumber, { timeoutMs: 1 }),
    ).resolves.toBeNull();
    // …and dead a day later (expiry 24 h).
    shiftMs += 25 * HOUR_MS;
    expect(await kiosk().client.collect(applied.receptionNumber)).toEqual({ outcome: 'not-available' });
  }, 60_000);

  it('Rule: reception numbers cannot be enumerated: the kiosk endpoint is rate limited', async () => {
    const outcomes: string[] = [];
    for (let i = 0; i < 15 && !outcomes.includes('rate-limited'); i++) {
      const random = String(Math.floor(Math.random() * 1e15)).padStart(15, '0');
      const result = await kiosk().client.collect(`${random}${dammCheckDigit(random)}`);
      outcomes.push(result.outcome);
      if (result.outcome === 'rate-limited') expect(result.retryAfterSeconds).toBeGreaterThan(0);
    }
    expect(outcomes).toContain('rate-limited');
    expect(outcomes.filter((o) => o === 'not-available').length).toBeLessThanOrEqual(10);
  }, 60_000);

  it('Rule: no PIN, My Number or name of any applicant reaches the server log', () => {
    for (const persona of personas) expectNoPersonalDataInLogs(e2e.logs, persona);
    const text = JSON.stringify(e2e.logs);
    for (const number of numbers) expect(text.includes(number.replace(/\D/g, ''))).toBe(false);
  });
});

import { JpkiError } from '@mynakit/jpki';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { WorkflowRuntime } from '../src/engine/runtime.js';
import type { WorkflowStore } from '../src/engine/store.js';
import { generateKeyBase64, Keyring } from '../src/privacy/sealed-box.js';
import { isDammValid } from '../src/reception/damm.js';
import { RateLimiter } from '../src/reception/rate-limiter.js';
import { generateReceptionNumber } from '../src/reception/reception-number.js';
import { SqliteWorkflowStore } from '../src/sqlite/index.js';
import { InMemoryMailbox, type Mailbox } from '../src/stores/mailbox.js';
import { w3CaseId } from '../src/w3/case-id.js';
import { w3EffectHandlers } from '../src/w3/effect-handlers.js';
import {
  InMemoryCertificateDocuments,
  InMemoryDeviceNotifier,
  MailboxDeviceNotifier,
} from '../src/w3/in-memory-ports.js';
import { IssuanceService } from '../src/w3/issuance-service.js';
import type { CertificateDocumentPort } from '../src/w3/ports.js';
import { kioskRecipient } from '../src/w3/print-job.js';
import { certificateIssuanceWorkflow, type W3State, w3JobId } from '../src/w3/w3-workflow.js';
import { FakeApplicantAuthenticator, fakeCardAuth } from './support/w3-fakes.js';

const expiryMs = 24 * 60 * 60_000;
const confirmTimeoutMs = 3 * 60_000;
const leaseMs = 5000;
const device = 'device-aaaa-0001';
const otherDevice = 'device-bbbb-0002';
const kiosk = 'kiosk-7eleven-0042';
const otherKiosk = 'kiosk-lawson-0099';
const cardSerial = 'a1b2c3d4';
const residentRecord = {
  certificateKind: 'resident-record',
  copies: 2,
  options: { scope: 'household', includeRegisteredDomicile: false, includeRelationship: true },
} as const;

/** Counts calls per store method, to prove that a request never reached the store. */
function countingStore(store: WorkflowStore): { store: WorkflowStore; calls: Map<string, number> } {
  const calls = new Map<string, number>();
  const proxy = new Proxy(store, {
    get(target, property, receiver) {
      const value = Reflect.get(target, property, receiver);
      if (typeof value !== 'function') return value;
      return (...args: unknown[]) => {
        calls.set(String(property), (calls.get(String(property)) ?? 0) + 1);
        return value.apply(target, args);
      };
    },
  });
  return { store: proxy, calls };
}

/** Change one digit of a valid number so that only its check digit is wrong (Damm catches every single-digit error). */
function withWrongCheckDigit(number: string): string {
  const last = Number(number.at(-1));
  return `${number.slice(0, -1)}${(last + 1) % 10}`;
}

describe('W3 certificate issuance (issuance server)', () => {
  let sqlite: SqliteWorkflowStore;
  let store: WorkflowStore;
  let storeCalls: Map<string, number>;
  let now: Date;
  const clock = () => now;
  const advance = (ms: number) => {
    now = new Date(now.getTime() + ms);
  };
  let notifier: InMemoryDeviceNotifier;
  let documents: InMemoryCertificateDocuments;
  let mailbox: InMemoryMailbox;
  let authenticator: FakeApplicantAuthenticator;
  let runtime: WorkflowRuntime;
  let service: IssuanceService;
  const handlers = (ports: { documents?: CertificateDocumentPort; keyring?: Keyring } = {}) =>
    w3EffectHandlers({ notifier, documents, mailbox, clock, ...ports });
  const stateOf = async (number: string) =>
    (await runtime.getCase(await w3CaseId(number)))?.state as W3State | undefined;
  const jobsOf = (kioskId: string, box: Mailbox = mailbox) => box.list(kioskRecipient(kioskId));

  const makeService = (rate = { capacity: 100, refillPerSecond: 10 }, keyring?: Keyring) =>
    new IssuanceService({
      runtime,
      authenticator,
      mailbox,
      ...(keyring !== undefined && { keyring }),
      clock,
      expiryMs,
      confirmTimeoutMs,
      rateLimiter: new RateLimiter(rate, () => now.getTime()),
      pollIntervalMs: 5,
    });

  /** W3.1–3 on the device: sign a fresh challenge with the (fake) card, then apply. */
  const apply = async (
    application: Parameters<IssuanceService['apply']>[0]['application'] = residentRecord,
  ) => service.apply({ deviceId: device, application, auth: await fakeCardAuth(authenticator, cardSerial) });

  /** The kiosk collects its job and reports the printout. */
  async function collect(number: string, kioskId = kiosk) {
    const waited = await service.waitForPrintJob({ kioskId, receptionNumber: number });
    if (waited.outcome !== 'found' || waited.job === null) throw new Error('no job');
    expect(await service.printed({ kioskId, jobId: waited.job.jobId })).toEqual({ outcome: 'printed' });
    return waited.job;
  }

  beforeEach(async () => {
    sqlite = await SqliteWorkflowStore.open(':memory:');
    ({ store, calls: storeCalls } = countingStore(sqlite));
    now = new Date('2026-04-01T10:00:00.000Z');
    notifier = new InMemoryDeviceNotifier();
    documents = new InMemoryCertificateDocuments();
    mailbox = new InMemoryMailbox();
    authenticator = new FakeApplicantAuthenticator(clock);
    runtime = new WorkflowRuntime({
      store,
      workflows: [certificateIssuanceWorkflow],
      clock,
      leaseMs,
      workerId: 'w1',
    });
    service = makeService();
  });
  afterEach(async () => {
    await sqlite.close();
  });

  /** Apply and present at `kiosk`, and deliver the confirmation request. */
  async function presented(): Promise<string> {
    const { receptionNumber } = await apply();
    expect(await service.present({ kioskId: kiosk, receptionNumber })).toEqual({
      outcome: 'confirmation-requested',
    });
    await runtime.runOutboxOnce(handlers());
    return receptionNumber;
  }

  it('W3.2–W3.5: applies, presents at a kiosk, asks the device, and the kiosk prints once after "print"', async () => {
    const applied = await apply();
    expect(applied.receptionNumber).toMatch(/^\d{16}$/);
    expect(isDammValid(applied.receptionNumber)).toBe(true);
    expect(applied.expiresAt).toBe(new Date(now.getTime() + expiryMs).toISOString());
    expect((await stateOf(applied.receptionNumber))?.status).toBe('applied');

    // Nothing happens before a kiosk presents the number.
    expect(await runtime.runOutboxOnce(handlers())).toMatchObject({ claimed: 0 });

    advance(60 * 60_000);
    // Typed with hyphens, as the phone shows it.
    const typed = applied.receptionNumber.match(/.{4}/g)!.join('-');
    expect(await service.present({ kioskId: kiosk, receptionNumber: typed })).toEqual({
      outcome: 'confirmation-requested',
    });
    await runtime.runOutboxOnce(handlers());
    const caseId = await w3CaseId(applied.receptionNumber);
    const answerBy = new Date(now.getTime() + confirmTimeoutMs).toISOString();
    expect(notifier.requests()).toEqual([
      expect.objectContaining({
        deviceId: device,
        caseId,
        kioskId: kiosk,
        certificateKind: 'resident-record',
        copies: 2,
        answerBy,
      }),
    ]);
    // The device long-polls and sees the same request; the kiosk is told to keep waiting.
    expect(
      await service.waitForConfirmationRequest({
        deviceId: device,
        receptionNumber: applied.receptionNumber,
      }),
    ).toEqual({
      outcome: 'found',
      status: 'confirmation-requested',
      request: { kioskId: kiosk, certificateKind: 'resident-record', copies: 2, answerBy },
    });
    expect(await service.waitForPrintJob({ kioskId: kiosk, receptionNumber: typed })).toEqual({
      outcome: 'found',
      status: 'confirmation-requested',
      job: null,
    });
    expect(documents.calls).toBe(0);

    expect(
      await service.confirm({
        deviceId: device,
        receptionNumber: applied.receptionNumber,
        decision: 'print',
      }),
    ).toEqual({ outcome: 'printing' });
    expect(await runtime.runOutboxOnce(handlers())).toMatchObject({ claimed: 1, completed: 1 });
    expect(documents.issued.size).toBe(1);
    expect([...documents.issued.values()][0]).toMatchObject({ caseId, application: residentRecord });
    // The case waits for the kiosk: the document went to the kiosk's mailbox, nothing is "printed" yet.
    expect(await stateOf(applied.receptionNumber)).toMatchObject({
      status: 'printing',
      printJob: { jobId: w3JobId(caseId), documentId: 'doc-1', mediaType: 'application/pdf' },
    });
    expect(await jobsOf(kiosk)).toHaveLength(1);

    const job = await collect(typed);
    expect(job).toMatchObject({ jobId: w3JobId(caseId), certificateKind: 'resident-record', copies: 2 });
    expect(new TextDecoder().decode(job.document)).toContain('resident-record x2');
    expect(await jobsOf(kiosk)).toEqual([]);

    const snapshot = await runtime.getCase(caseId);
    expect(snapshot).toMatchObject({ final: true, state: { status: 'printed', kioskId: kiosk } });
    // Evidence: every decision with its time and kiosk.
    expect(
      (snapshot?.state as W3State | undefined)?.history.map((h) => `${h.event}:${h.from}>${h.to}`),
    ).toEqual([
      'kiosk-presented:applied>confirmation-requested',
      'device-confirmed:confirmation-requested>printing',
      'print-job-queued:printing>printing',
      'print-succeeded:printing>printed',
    ]);
    expect((await runtime.events(caseId)).map((e) => (e.event as { type: string }).type)).toEqual([
      '@start',
      'kiosk-presented',
      'device-confirmed',
      'print-job-queued',
      'print-succeeded',
    ]);
    // The kiosk hears it is done; the number is dead for presentation.
    expect(await service.waitForPrintJob({ kioskId: kiosk, receptionNumber: typed })).toEqual({
      outcome: 'found',
      status: 'printed',
      job: null,
    });
    // The expiry timer went with the final step.
    advance(expiryMs);
    expect((await runtime.runTimersOnce()).claimed).toBe(0);
  });

  it('W3.1: the applicant is authenticated with the card certificate before the case starts; the evidence is kept', async () => {
    const { receptionNumber } = await apply();
    const state = await stateOf(receptionNumber);
    expect(state?.applicant).toEqual({
      method: 'jpki-auth-signature',
      certificateSerial: cardSerial,
      certificateNotAfter: '2030-01-01T00:00:00.000Z',
      verifiedAt: now.toISOString(),
      revocation: {
        status: 'good',
        source: 'ocsp',
        checkedAt: now.toISOString(),
        issuedAt: now.toISOString(),
      },
    });

    storeCalls.clear();
    // A signature by another card's key, a replayed challenge, a revoked certificate, no revocation answer: refused,
    // and nothing reaches the store.
    const signed = await fakeCardAuth(authenticator, cardSerial);
    const forged = { ...signed, certificate: new TextEncoder().encode('ffee0011') };
    const refusal = (code: string) => expect.objectContaining({ code }) as unknown as JpkiError;
    await expect(
      service.apply({ deviceId: device, application: residentRecord, auth: forged }),
    ).rejects.toEqual(refusal('SIGNATURE_INVALID'));
    await expect(
      service.apply({ deviceId: device, application: residentRecord, auth: signed }),
    ).rejects.toEqual(refusal('CHALLENGE_INVALID'));
    authenticator.revoked.add(cardSerial);
    await expect(apply()).rejects.toEqual(refusal('CERTIFICATE_REVOKED'));
    authenticator.revoked.clear();
    authenticator.revocationDown = true;
    await expect(apply()).rejects.toBeInstanceOf(JpkiError);
    expect(storeCalls.size).toBe(0);
    // An invalid application is refused before the card signature is spent.
    authenticator.revocationDown = false;
    const before = authenticator.authenticated;
    await expect(apply({ certificateKind: 'seal-registration', copies: 0 })).rejects.toThrow();
    expect(authenticator.authenticated).toBe(before);
  });

  it('rules: reception numbers are never stored in clear (case id is a SHA-256 digest; a pepper makes it an HMAC)', async () => {
    const { receptionNumber } = await apply();
    const caseId = await w3CaseId(receptionNumber);
    expect(caseId).toMatch(/^w3-[0-9a-f]{64}$/);
    const stored = JSON.stringify({
      case: await sqlite.loadCase(caseId),
      events: await sqlite.events(caseId),
    });
    expect(stored).not.toContain(receptionNumber);
    expect(stored).toContain(device);

    const pepper = new TextEncoder().encode('a secret kept outside the database');
    const peppered = await w3CaseId(receptionNumber, pepper);
    expect(peppered).toMatch(/^w3-[0-9a-f]{64}$/);
    expect(peppered).not.toBe(caseId);
    expect(await w3CaseId(receptionNumber, pepper)).toBe(peppered);
  });

  it('W3.2: the application is validated and carries no personal data beyond the choices', async () => {
    await expect(apply({ ...residentRecord, name: '山田太郎' } as never)).rejects.toThrow();
    await expect(apply({ certificateKind: 'seal-registration', copies: 0 })).rejects.toThrow();
    const seal = await apply({ certificateKind: 'seal-registration', copies: 1 });
    expect((await stateOf(seal.receptionNumber))?.application).toEqual({
      certificateKind: 'seal-registration',
      copies: 1,
    });
  });

  it('W3.5: the device declines → nothing is printed, the kiosk is told, and the number is dead', async () => {
    const number = await presented();
    expect(await service.confirm({ deviceId: device, receptionNumber: number, decision: 'decline' })).toEqual(
      { outcome: 'declined' },
    );
    await runtime.runOutboxOnce(handlers());
    advance(confirmTimeoutMs + 1);
    await runtime.runTimersOnce();
    expect(documents.calls).toBe(0);
    expect((await stateOf(number))?.status).toBe('declined');
    expect(await service.waitForPrintJob({ kioskId: kiosk, receptionNumber: number, waitMs: 5000 })).toEqual({
      outcome: 'found',
      status: 'declined',
      job: null,
    });
    expect(await service.waitForConfirmationRequest({ deviceId: device, receptionNumber: number })).toEqual({
      outcome: 'found',
      status: 'declined',
      request: null,
    });
    expect(await service.present({ kioskId: kiosk, receptionNumber: number })).toEqual({
      outcome: 'not-available',
    });
    expect(await service.confirm({ deviceId: device, receptionNumber: number, decision: 'print' })).toEqual({
      outcome: 'not-available',
    });
  });

  it('W3.5: confirmation timeout → back to awaiting-kiosk; a late answer is refused; the number can be presented again', async () => {
    const number = await presented();
    advance(confirmTimeoutMs - 1);
    expect((await runtime.runTimersOnce()).fired).toBe(0);
    advance(1);
    expect((await runtime.runTimersOnce()).fired).toBe(1);
    expect((await stateOf(number))?.status).toBe('awaiting-kiosk');
    // The waiting kiosk stops; the device has nothing to answer any more.
    expect(await service.waitForPrintJob({ kioskId: kiosk, receptionNumber: number, waitMs: 5000 })).toEqual({
      outcome: 'found',
      status: 'awaiting-kiosk',
      job: null,
    });
    expect(
      await service.waitForConfirmationRequest({ deviceId: device, receptionNumber: number }),
    ).toMatchObject({ status: 'awaiting-kiosk', request: null });

    expect(await service.confirm({ deviceId: device, receptionNumber: number, decision: 'print' })).toEqual({
      outcome: 'not-available',
    });
    await runtime.runOutboxOnce(handlers());
    expect(documents.calls).toBe(0);

    // Presented again, at another kiosk: a second, distinct confirmation request naming that kiosk.
    expect(await service.present({ kioskId: otherKiosk, receptionNumber: number })).toEqual({
      outcome: 'confirmation-requested',
    });
    await runtime.runOutboxOnce(handlers());
    expect(notifier.requests().map((r) => r.kioskId)).toEqual([kiosk, otherKiosk]);
    expect(new Set(notifier.requests().map((r) => r.idempotencyKey)).size).toBe(2);
    expect(await service.confirm({ deviceId: device, receptionNumber: number, decision: 'print' })).toEqual({
      outcome: 'printing',
    });
    await runtime.runOutboxOnce(handlers());
    // The job is in the second kiosk's mailbox only; the first kiosk no longer sees the number at all.
    expect(await jobsOf(kiosk)).toEqual([]);
    expect(await jobsOf(otherKiosk)).toHaveLength(1);
    expect(await service.waitForPrintJob({ kioskId: kiosk, receptionNumber: number })).toEqual({
      outcome: 'not-available',
    });
    await collect(number, otherKiosk);
    expect((await stateOf(number))?.status).toBe('printed');
  });

  it('W3.5: the device long-polls and hears of the presentation while it waits', async () => {
    const { receptionNumber } = await apply();
    const waiting = service.waitForConfirmationRequest({ deviceId: device, receptionNumber, waitMs: 10_000 });
    await service.present({ kioskId: kiosk, receptionNumber });
    expect(await waiting).toMatchObject({
      outcome: 'found',
      status: 'confirmation-requested',
      request: { kioskId: kiosk, copies: 2 },
    });
    // Without a wait, an answer at once; another device learns nothing.
    expect(
      await service.waitForConfirmationRequest({ deviceId: otherDevice, receptionNumber, waitMs: 10_000 }),
    ).toEqual({ outcome: 'not-available' });
  });

  it('W3.5: the kiosk long-polls and receives the job once the device said "print"', async () => {
    const number = await presented();
    const waiting = service.waitForPrintJob({ kioskId: kiosk, receptionNumber: number, waitMs: 10_000 });
    await service.confirm({ deviceId: device, receptionNumber: number, decision: 'print' });
    await runtime.runOutboxOnce(handlers());
    const waited = await waiting;
    expect(waited).toMatchObject({ outcome: 'found', status: 'printing', job: { copies: 2 } });
  });

  it('W3.5: the device notifier is pluggable — the mailbox notifier leaves one message per request', async () => {
    const deviceBox = new InMemoryMailbox();
    const number = await presented();
    const caseId = await w3CaseId(number);
    const push = w3EffectHandlers({
      documents,
      mailbox,
      notifier: new MailboxDeviceNotifier(deviceBox, clock),
    });
    // The same request delivered twice (a re-run after a crash) is one message.
    const effect = {
      type: 'request-print-confirmation' as const,
      deviceId: device,
      kioskId: kiosk,
      certificateKind: 'resident-record',
      copies: 2,
      answerBy: now.toISOString(),
    };
    for (let attempt = 0; attempt < 2; attempt++) {
      await push['request-print-confirmation']?.(effect, {
        caseId,
        idempotencyKey: 'print-confirmation-1',
        attempt,
      });
    }
    const messages = await deviceBox.list(`device:${device}`);
    expect(messages).toHaveLength(1);
    expect(messages[0]?.payload).toMatchObject({ caseId, kioskId: kiosk, copies: 2 });
    // Without a notifier the effect succeeds: the device long-polls.
    const quiet = w3EffectHandlers({ documents, mailbox });
    expect(
      await quiet['request-print-confirmation']?.(effect, { caseId, idempotencyKey: 'x', attempt: 0 }),
    ).toEqual({ result: { notified: 'long-poll' } });
  });

  it('rules: numbers expire — the expiry timer ends the case, and a number past its expiry is dead even before the timer runs', async () => {
    const a = await apply();
    const b = await apply();
    advance(expiryMs);
    // No timer has run yet: the number is refused anyway.
    expect(await service.present({ kioskId: kiosk, receptionNumber: a.receptionNumber })).toEqual({
      outcome: 'not-available',
    });
    expect(
      await service.waitForConfirmationRequest({ deviceId: device, receptionNumber: a.receptionNumber }),
    ).toEqual({ outcome: 'found', status: 'expired', request: null });
    expect((await runtime.runTimersOnce()).fired).toBe(2);
    expect((await stateOf(a.receptionNumber))?.status).toBe('expired');
    expect((await runtime.getCase(await w3CaseId(b.receptionNumber)))?.final).toBe(true);
    await runtime.runOutboxOnce(handlers());
    expect(notifier.calls).toBe(0);
    expect(documents.calls).toBe(0);
  });

  it('rules: expiry during a pending confirmation ends the case, the kiosk is told, and a later "print" is refused', async () => {
    const number = await presented();
    // The device never answers; the confirmation timer and the expiry are both due when the timer worker runs.
    advance(expiryMs);
    expect(await service.waitForPrintJob({ kioskId: kiosk, receptionNumber: number })).toMatchObject({
      status: 'expired',
      job: null,
    });
    expect((await runtime.runTimersOnce()).fired).toBeGreaterThanOrEqual(1);
    expect((await stateOf(number))?.status).toBe('expired');
    expect(await service.confirm({ deviceId: device, receptionNumber: number, decision: 'print' })).toEqual({
      outcome: 'not-available',
    });
    await runtime.runOutboxOnce(handlers());
    expect(documents.calls).toBe(0);
    expect(await service.waitForPrintJob({ kioskId: kiosk, receptionNumber: number })).toMatchObject({
      status: 'expired',
    });
  });

  it('rules: a confirmed print finishes even when the number expires while the kiosk prints', async () => {
    const number = await presented();
    await service.confirm({ deviceId: device, receptionNumber: number, decision: 'print' });
    await runtime.runOutboxOnce(handlers());
    advance(expiryMs);
    await runtime.runTimersOnce();
    await collect(number);
    expect((await stateOf(number))?.status).toBe('printed');
  });

  it('rules: single-use — a second presentation of a used number fails exactly like an unknown one', async () => {
    const number = await presented();
    await service.confirm({ deviceId: device, receptionNumber: number, decision: 'print' });
    await runtime.runOutboxOnce(handlers());
    await collect(number);
    expect((await stateOf(number))?.status).toBe('printed');

    const used = await service.present({ kioskId: kiosk, receptionNumber: number });
    const unknown = await service.present({ kioskId: kiosk, receptionNumber: generateReceptionNumber() });
    const malformed = await service.present({ kioskId: kiosk, receptionNumber: withWrongCheckDigit(number) });
    expect(used).toEqual({ outcome: 'not-available' });
    expect(unknown).toEqual(used);
    expect(malformed).toEqual(used);
    await runtime.runOutboxOnce(handlers());
    expect(documents.issued.size).toBe(1);
    expect(notifier.requests()).toHaveLength(1);
  });

  it('rules: a wrong check digit fails before touching the store', async () => {
    const { receptionNumber } = await apply();
    storeCalls.clear();
    for (const typed of [withWrongCheckDigit(receptionNumber), '1234', 'not a number', '']) {
      expect(await service.present({ kioskId: kiosk, receptionNumber: typed })).toEqual({
        outcome: 'not-available',
      });
      expect(await service.confirm({ deviceId: device, receptionNumber: typed, decision: 'print' })).toEqual({
        outcome: 'not-available',
      });
      expect(await service.waitForPrintJob({ kioskId: kiosk, receptionNumber: typed })).toEqual({
        outcome: 'not-available',
      });
      expect(await service.waitForConfirmationRequest({ deviceId: device, receptionNumber: typed })).toEqual({
        outcome: 'not-available',
      });
    }
    expect([...storeCalls.values()].reduce((a, b) => a + b, 0)).toBe(0);
    // The valid number does reach the store.
    await service.present({ kioskId: kiosk, receptionNumber });
    expect(storeCalls.get('loadCase')).toBeGreaterThan(0);
  });

  it('W3.5: only the device that applied may confirm; another device gets the unknown-number answer', async () => {
    const number = await presented();
    expect(
      await service.confirm({ deviceId: otherDevice, receptionNumber: number, decision: 'print' }),
    ).toEqual({ outcome: 'not-available' });
    expect(
      await service.confirm({ deviceId: otherDevice, receptionNumber: number, decision: 'decline' }),
    ).toEqual({ outcome: 'not-available' });
    // The event itself is also ignored by the workflow when it names another device.
    await runtime.dispatch(await w3CaseId(number), { type: 'device-confirmed', deviceId: otherDevice });
    await runtime.runOutboxOnce(handlers());
    expect(documents.calls).toBe(0);
    expect((await stateOf(number))?.status).toBe('confirmation-requested');

    expect(await service.confirm({ deviceId: device, receptionNumber: number, decision: 'print' })).toEqual({
      outcome: 'printing',
    });
  });

  it('W3.4: while a confirmation is pending, another kiosk cannot take over the number', async () => {
    const number = await presented();
    expect(await service.present({ kioskId: otherKiosk, receptionNumber: number })).toEqual({
      outcome: 'not-available',
    });
    await service.confirm({ deviceId: device, receptionNumber: number, decision: 'print' });
    await runtime.runOutboxOnce(handlers());
    expect(await jobsOf(otherKiosk)).toEqual([]);
    expect(await jobsOf(kiosk)).toHaveLength(1);
  });

  it('rules: printed once — the job goes to the presenting kiosk only, and only its ack for that job counts', async () => {
    const number = await presented();
    await service.confirm({ deviceId: device, receptionNumber: number, decision: 'print' });
    await runtime.runOutboxOnce(handlers());
    const caseId = await w3CaseId(number);
    const jobId = w3JobId(caseId);

    // Another kiosk typing the number gets nothing, and cannot ack the job.
    expect(await service.waitForPrintJob({ kioskId: otherKiosk, receptionNumber: number })).toEqual({
      outcome: 'not-available',
    });
    expect(await service.printed({ kioskId: otherKiosk, jobId })).toEqual({ outcome: 'not-available' });
    // A print-succeeded naming another job or kiosk is ignored by the workflow.
    await runtime.dispatch(caseId, { type: 'print-succeeded', kioskId: otherKiosk, jobId });
    await runtime.dispatch(caseId, {
      type: 'print-succeeded',
      kioskId: kiosk,
      jobId: w3JobId(`w3-${'0'.repeat(64)}`),
    });
    expect((await stateOf(number))?.status).toBe('printing');

    await collect(number);
    // Repeating the ack (a kiosk that lost the answer) is harmless; the number never yields a job again.
    expect(await service.printed({ kioskId: kiosk, jobId })).toEqual({ outcome: 'printed' });
    expect(await service.waitForPrintJob({ kioskId: kiosk, receptionNumber: number })).toMatchObject({
      status: 'printed',
      job: null,
    });
    expect(await service.printed({ kioskId: kiosk, jobId: w3JobId(`w3-${'1'.repeat(64)}`) })).toEqual({
      outcome: 'not-available',
    });
  });

  it('rules: personal data is protected at rest — with a keyring the document is sealed in the mailbox', async () => {
    const keyring = await Keyring.fromConfig({
      current: 'k1',
      keys: [{ id: 'k1', key: generateKeyBase64() }],
    });
    service = makeService(undefined, keyring);
    const number = await presented();
    await service.confirm({ deviceId: device, receptionNumber: number, decision: 'print' });
    await runtime.runOutboxOnce(handlers({ keyring }));
    const [stored] = await jobsOf(kiosk);
    expect(stored?.payload).toMatchObject({ sealed: true });
    expect(JSON.stringify(stored)).not.toContain(btoa('%PDF'));
    const job = await collect(number);
    expect(new TextDecoder().decode(job.document)).toContain('%PDF-1.7 resident-record');
  });

  it('rules: cannot be enumerated — presentations are rate-limited per kiosk, invalid attempts included', async () => {
    service = makeService({ capacity: 3, refillPerSecond: 0.5 });
    const { receptionNumber } = await apply();
    for (let i = 0; i < 3; i++) {
      expect(await service.present({ kioskId: kiosk, receptionNumber: generateReceptionNumber() })).toEqual({
        outcome: 'not-available',
      });
    }
    storeCalls.clear();
    const limited = await service.present({ kioskId: kiosk, receptionNumber });
    expect(limited).toEqual({ outcome: 'rate-limited', retryAfterMs: 2000 });
    expect(storeCalls.size).toBe(0);
    // Another kiosk has its own bucket; this one recovers after the advertised delay.
    expect(
      (await service.present({ kioskId: otherKiosk, receptionNumber: generateReceptionNumber() })).outcome,
    ).toBe('not-available');
    advance(2000);
    expect(await service.present({ kioskId: kiosk, receptionNumber })).toEqual({
      outcome: 'confirmation-requested',
    });
  });

  it('rules: a number is printed once even when the outbox worker crashes after queueing the print job', async () => {
    const number = await presented();
    await service.confirm({ deviceId: device, receptionNumber: number, decision: 'print' });

    // Worker w1 fetches the document and queues the job, then its process freezes before it can feed the result
    // back or complete the item.
    let queuedBeforeCrash = () => {};
    const crashed = new Promise<void>((resolve) => {
      queuedBeforeCrash = resolve;
    });
    const freezingMailbox: Mailbox = Object.assign(Object.create(mailbox) as Mailbox, {
      put: async (...args: Parameters<Mailbox['put']>) => {
        await mailbox.put(...args);
        queuedBeforeCrash();
        return new Promise<never>(() => {});
      },
    });
    void runtime.runOutboxOnce(w3EffectHandlers({ documents, mailbox: freezingMailbox, clock }));
    await crashed;
    expect(await jobsOf(kiosk)).toHaveLength(1);
    // Not yet recorded in the case: the kiosk is not handed a job the case does not know of.
    expect(await service.waitForPrintJob({ kioskId: kiosk, receptionNumber: number })).toMatchObject({
      status: 'printing',
      job: null,
    });

    // Another worker takes over once the lease has run out and re-runs the effect with the same key.
    const w2 = new WorkflowRuntime({
      store,
      workflows: [certificateIssuanceWorkflow],
      clock,
      leaseMs,
      workerId: 'w2',
    });
    expect((await w2.runOutboxOnce(handlers())).claimed).toBe(0);
    advance(leaseMs + 1);
    expect(await w2.runOutboxOnce(handlers())).toMatchObject({ claimed: 1, completed: 1 });
    expect(documents.calls).toBe(2);
    expect(documents.issued.size).toBe(1);
    expect(await jobsOf(kiosk)).toHaveLength(1);
    await collect(number);
    expect((await stateOf(number))?.status).toBe('printed');
    // A repeated print-job-queued (a second feedback) changes nothing.
    const again = await runtime.dispatch(await w3CaseId(number), {
      type: 'print-job-queued',
      kioskId: kiosk,
      jobId: w3JobId(await w3CaseId(number)),
      documentId: 'doc-1',
      mediaType: 'application/pdf',
    });
    expect(again.applied).toBe(false);
  });
});

import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { WorkflowRuntime } from '../src/engine/runtime.js';
import type { WorkflowStore } from '../src/engine/store.js';
import { isDammValid } from '../src/reception/damm.js';
import { RateLimiter } from '../src/reception/rate-limiter.js';
import { generateReceptionNumber } from '../src/reception/reception-number.js';
import { SqliteWorkflowStore } from '../src/sqlite/index.js';
import { w3CaseId } from '../src/w3/case-id.js';
import { InMemoryDeviceNotifier, InMemoryKioskPrinter } from '../src/w3/in-memory-ports.js';
import { IssuanceService, w3EffectHandlers } from '../src/w3/issuance-service.js';
import { certificateIssuanceWorkflow, type W3State } from '../src/w3/w3-workflow.js';

const expiryMs = 24 * 60 * 60_000;
const confirmTimeoutMs = 3 * 60_000;
const leaseMs = 5000;
const device = 'device-aaaa-0001';
const otherDevice = 'device-bbbb-0002';
const kiosk = 'kiosk-7eleven-0042';
const otherKiosk = 'kiosk-lawson-0099';
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
  let printer: InMemoryKioskPrinter;
  let runtime: WorkflowRuntime;
  let service: IssuanceService;
  const handlers = () => w3EffectHandlers({ notifier, printer });
  const stateOf = async (number: string) =>
    (await runtime.getCase(await w3CaseId(number)))?.state as W3State | undefined;

  const makeService = (rate = { capacity: 100, refillPerSecond: 10 }) =>
    new IssuanceService({
      runtime,
      clock,
      expiryMs,
      confirmTimeoutMs,
      rateLimiter: new RateLimiter(rate, () => now.getTime()),
    });

  beforeEach(async () => {
    sqlite = await SqliteWorkflowStore.open(':memory:');
    ({ store, calls: storeCalls } = countingStore(sqlite));
    now = new Date('2026-04-01T10:00:00.000Z');
    notifier = new InMemoryDeviceNotifier();
    printer = new InMemoryKioskPrinter();
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
    const { receptionNumber } = await service.apply({ deviceId: device, application: residentRecord });
    expect(await service.present({ kioskId: kiosk, receptionNumber })).toEqual({
      outcome: 'confirmation-requested',
    });
    await runtime.runOutboxOnce(handlers());
    return receptionNumber;
  }

  it('W3.2–W3.5: applies, presents at a kiosk, asks the device, prints once after "print"', async () => {
    const applied = await service.apply({ deviceId: device, application: residentRecord });
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
    expect(printer.calls).toBe(0);
    await runtime.runOutboxOnce(handlers());
    const caseId = await w3CaseId(applied.receptionNumber);
    expect(notifier.requests()).toEqual([
      expect.objectContaining({
        deviceId: device,
        caseId,
        kioskId: kiosk,
        certificateKind: 'resident-record',
        copies: 2,
        answerBy: new Date(now.getTime() + confirmTimeoutMs).toISOString(),
      }),
    ]);
    expect(printer.calls).toBe(0);

    expect(
      await service.confirm({
        deviceId: device,
        receptionNumber: applied.receptionNumber,
        decision: 'print',
      }),
    ).toEqual({ outcome: 'printing' });
    expect(await runtime.runOutboxOnce(handlers())).toMatchObject({ claimed: 1, completed: 1 });
    const jobs = [...printer.printed.values()];
    expect(jobs).toHaveLength(1);
    expect(jobs[0]).toMatchObject({ kioskId: kiosk, caseId, application: residentRecord });

    const snapshot = await runtime.getCase(caseId);
    expect(snapshot).toMatchObject({ final: true, state: { status: 'printed', kioskId: kiosk } });
    // Evidence: every decision with its time and kiosk.
    expect((snapshot?.state as W3State | undefined)?.history.map((h) => `${h.from}>${h.to}`)).toEqual([
      'applied>confirmation-requested',
      'confirmation-requested>printing',
      'printing>printed',
    ]);
    expect((await runtime.events(caseId)).map((e) => (e.event as { type: string }).type)).toEqual([
      '@start',
      'kiosk-presented',
      'device-confirmed',
      'print-succeeded',
    ]);
    // The expiry timer went with the final step.
    advance(expiryMs);
    expect((await runtime.runTimersOnce()).claimed).toBe(0);
  });

  it('rules: reception numbers are never stored in clear (case id is a SHA-256 digest; a pepper makes it an HMAC)', async () => {
    const { receptionNumber } = await service.apply({ deviceId: device, application: residentRecord });
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
    await expect(
      service.apply({
        deviceId: device,
        application: { ...residentRecord, name: '山田太郎' } as never,
      }),
    ).rejects.toThrow();
    await expect(
      service.apply({ deviceId: device, application: { certificateKind: 'seal-registration', copies: 0 } }),
    ).rejects.toThrow();
    const seal = await service.apply({
      deviceId: device,
      application: { certificateKind: 'seal-registration', copies: 1 },
    });
    expect((await stateOf(seal.receptionNumber))?.application).toEqual({
      certificateKind: 'seal-registration',
      copies: 1,
    });
  });

  it('W3.5: the device declines → nothing is printed and the number is dead', async () => {
    const number = await presented();
    expect(await service.confirm({ deviceId: device, receptionNumber: number, decision: 'decline' })).toEqual(
      {
        outcome: 'declined',
      },
    );
    await runtime.runOutboxOnce(handlers());
    advance(confirmTimeoutMs + 1);
    await runtime.runTimersOnce();
    expect(printer.calls).toBe(0);
    expect((await stateOf(number))?.status).toBe('declined');
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

    expect(await service.confirm({ deviceId: device, receptionNumber: number, decision: 'print' })).toEqual({
      outcome: 'not-available',
    });
    await runtime.runOutboxOnce(handlers());
    expect(printer.calls).toBe(0);

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
    expect([...printer.printed.values()].map((j) => j.kioskId)).toEqual([otherKiosk]);
  });

  it('rules: numbers expire — the expiry timer ends the case, and a number past its expiry is dead even before the timer runs', async () => {
    const a = await service.apply({ deviceId: device, application: residentRecord });
    const b = await service.apply({ deviceId: device, application: residentRecord });
    advance(expiryMs);
    // No timer has run yet: the number is refused anyway, and so is the confirmation of a pending presentation.
    expect(await service.present({ kioskId: kiosk, receptionNumber: a.receptionNumber })).toEqual({
      outcome: 'not-available',
    });
    expect((await runtime.runTimersOnce()).fired).toBe(2);
    expect((await stateOf(a.receptionNumber))?.status).toBe('expired');
    expect((await runtime.getCase(await w3CaseId(b.receptionNumber)))?.final).toBe(true);
    await runtime.runOutboxOnce(handlers());
    expect(notifier.calls).toBe(0);
    expect(printer.calls).toBe(0);
  });

  it('rules: expiry during a pending confirmation ends the case and a later "print" is refused', async () => {
    const number = await presented();
    // The device never answers; the confirmation timer and the expiry are both due when the timer worker runs.
    advance(expiryMs);
    expect((await runtime.runTimersOnce()).fired).toBeGreaterThanOrEqual(1);
    expect((await stateOf(number))?.status).toBe('expired');
    expect(await service.confirm({ deviceId: device, receptionNumber: number, decision: 'print' })).toEqual({
      outcome: 'not-available',
    });
    await runtime.runOutboxOnce(handlers());
    expect(printer.calls).toBe(0);
  });

  it('rules: single-use — a second presentation of a used number fails exactly like an unknown one', async () => {
    const number = await presented();
    await service.confirm({ deviceId: device, receptionNumber: number, decision: 'print' });
    await runtime.runOutboxOnce(handlers());
    expect((await stateOf(number))?.status).toBe('printed');

    const used = await service.present({ kioskId: kiosk, receptionNumber: number });
    const unknown = await service.present({ kioskId: kiosk, receptionNumber: generateReceptionNumber() });
    const malformed = await service.present({ kioskId: kiosk, receptionNumber: withWrongCheckDigit(number) });
    expect(used).toEqual({ outcome: 'not-available' });
    expect(unknown).toEqual(used);
    expect(malformed).toEqual(used);
    await runtime.runOutboxOnce(handlers());
    expect(printer.printed.size).toBe(1);
    expect(notifier.requests()).toHaveLength(1);
  });

  it('rules: a wrong check digit fails before touching the store', async () => {
    const { receptionNumber } = await service.apply({ deviceId: device, application: residentRecord });
    storeCalls.clear();
    for (const typed of [withWrongCheckDigit(receptionNumber), '1234', 'not a number', '']) {
      expect(await service.present({ kioskId: kiosk, receptionNumber: typed })).toEqual({
        outcome: 'not-available',
      });
      expect(await service.confirm({ deviceId: device, receptionNumber: typed, decision: 'print' })).toEqual({
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
    expect(printer.calls).toBe(0);
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
    expect([...printer.printed.values()].map((j) => j.kioskId)).toEqual([kiosk]);
  });

  it('rules: cannot be enumerated — presentations are rate-limited per kiosk, invalid attempts included', async () => {
    service = makeService({ capacity: 3, refillPerSecond: 0.5 });
    const { receptionNumber } = await service.apply({ deviceId: device, application: residentRecord });
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

  it('rules: a number is printed once even when the outbox worker crashes after printing', async () => {
    const number = await presented();
    await service.confirm({ deviceId: device, receptionNumber: number, decision: 'print' });

    // Worker w1 prints, then its process freezes before it can feed the result back or complete the item.
    let printedBeforeCrash = () => {};
    const crashed = new Promise<void>((resolve) => {
      printedBeforeCrash = resolve;
    });
    const crashing = w3EffectHandlers({
      notifier,
      printer: {
        print: async (job) => {
          await printer.print(job);
          printedBeforeCrash();
          return new Promise<never>(() => {});
        },
      },
    });
    void runtime.runOutboxOnce(crashing);
    await crashed;
    expect(printer.printed.size).toBe(1);
    expect((await stateOf(number))?.status).toBe('printing');

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
    expect(printer.calls).toBe(2);
    expect(printer.printed.size).toBe(1);
    expect((await stateOf(number))?.status).toBe('printed');
    // A repeated print-succeeded (a second feedback) changes nothing.
    const again = await runtime.dispatch(await w3CaseId(number), { type: 'print-succeeded', kioskId: kiosk });
    expect(again.applied).toBe(false);
  });
});

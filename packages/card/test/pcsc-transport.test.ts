import { EventEmitter } from 'node:events';
import { describe, expect, it } from 'vitest';
import type { PcscLite, PcscLiteReader } from '../src/pcsc/index.js';
import { PcscTransport } from '../src/pcsc/index.js';
import type { ReaderEvent } from '../src/transport/index.js';

const PRESENT = 0x20;
const EMPTY = 0x10;

/** A stand-in for one pcsclite CardReader, driven by the test. */
class FakeReader extends EventEmitter {
  connected = false;
  closed = false;
  readonly SCARD_SHARE_SHARED = 2;
  readonly SCARD_PROTOCOL_T0 = 1;
  readonly SCARD_PROTOCOL_T1 = 2;
  readonly SCARD_STATE_PRESENT = PRESENT;
  readonly SCARD_LEAVE_CARD = 0;
  readonly SCARD_RESET_CARD = 1;
  connectOptions: unknown;
  dispositions: number[] = [];
  nextTransmitError: Error | undefined;

  constructor(readonly name: string) {
    super();
  }

  connect(options: unknown, callback: (error: unknown, protocol: number) => void) {
    this.connectOptions = options;
    this.connected = true;
    setImmediate(() => callback(null, 2));
  }

  disconnect(disposition: number, callback: (error: unknown) => void) {
    this.dispositions.push(disposition);
    this.connected = false;
    setImmediate(() => callback(null));
  }

  transmit(
    data: Buffer,
    _length: number,
    _protocol: number,
    callback: (error: unknown, data: Buffer) => void,
  ) {
    const error = this.nextTransmitError;
    this.nextTransmitError = undefined;
    setImmediate(() =>
      error
        ? callback(error, Buffer.alloc(0))
        : callback(null, Buffer.concat([data, Buffer.from([0x90, 0])])),
    );
  }

  close() {
    this.closed = true;
  }

  status(state: number, atr?: number[]) {
    this.emit('status', { state, ...(atr && { atr: Buffer.from(atr) }) });
  }
}

/** A stand-in for the pcsclite module: like the real one, it reports readers from start() on the next tick. */
function fakePcscLite(readerNames: string[]) {
  const readers = readerNames.map((name) => new FakeReader(name));
  const state = { closed: false, pcsc: undefined as (EventEmitter & PcscLite) | undefined };
  const factory = () => {
    const pcsc = new EventEmitter() as EventEmitter & PcscLite;
    pcsc.close = () => {
      state.closed = true;
    };
    pcsc.start = (callback) => {
      setImmediate(() => {
        callback(undefined, undefined);
        for (const reader of readers) pcsc.emit('reader', reader as unknown as PcscLiteReader);
        // First statuses arrive later, as from pcsclite's watcher threads.
        setImmediate(() => {
          for (const reader of readers) reader.status(EMPTY);
        });
      });
    };
    process.nextTick(() => pcsc.start?.(() => {}));
    state.pcsc = pcsc;
    return pcsc;
  };
  return { readers, state, factory };
}

describe('PcscTransport (with a fake pcsclite)', () => {
  it('reports a missing native module as PCSC_ERROR', async () => {
    const transport = new PcscTransport({
      loadPcscLite: () => {
        throw new Error("Cannot find module 'pcsclite'");
      },
    });
    await expect(transport.list()).rejects.toMatchObject({ code: 'PCSC_ERROR' });
    const errors: Error[] = [];
    transport.listen({ next: () => {}, error: (e) => errors.push(e) });
    await Promise.resolve();
    expect(errors).toHaveLength(1);
  });

  it('reports a stopped pcscd as READER_UNAVAILABLE with the SCARD code', async () => {
    const transport = new PcscTransport({
      loadPcscLite: () => () => {
        throw new Error('SCardEstablishContext error: Service not available.(0x8010001d)');
      },
    });
    await expect(transport.list()).rejects.toMatchObject({
      code: 'READER_UNAVAILABLE',
      scardCode: 0x8010001d,
    });
  });

  it('turns status changes into card events and tracks presence', async () => {
    const fake = fakePcscLite(['R0', 'R1']);
    const transport = new PcscTransport({ loadPcscLite: () => fake.factory });
    const events: ReaderEvent[] = [];
    transport.listen({ next: (e) => events.push(e) });
    expect(await transport.list()).toEqual([
      { name: 'R0', cardPresent: false },
      { name: 'R1', cardPresent: false },
    ]);
    const [r0] = fake.readers;
    r0!.status(PRESENT | 0x10000, [0x3b, 0x00]);
    r0!.status(PRESENT | 0x100 | 0x10000, [0x3b, 0x00]); // in use: no new event
    r0!.status(EMPTY | 0x20000);
    expect(events.map((e) => `${e.type} ${e.reader}`)).toEqual([
      'reader-added R0',
      'reader-added R1',
      'card-inserted R0',
      'card-removed R0',
    ]);
    r0!.status(PRESENT, [0x3b, 0x01]);
    expect((await transport.list())[0]).toEqual({
      name: 'R0',
      cardPresent: true,
      atr: Uint8Array.of(0x3b, 0x01),
    });
    r0!.emit('end');
    expect(events.slice(-2).map((e) => `${e.type} ${e.reader}`)).toEqual([
      'card-removed R0',
      'reader-removed R0',
    ]);
    await transport.close();
  });

  it('lists no readers without waiting for a timeout', async () => {
    const fake = fakePcscLite([]);
    const transport = new PcscTransport({ loadPcscLite: () => fake.factory, settleTimeoutMs: 60_000 });
    expect(await transport.list()).toEqual([]);
    await expect(transport.open()).rejects.toMatchObject({ code: 'NO_READER' });
    await transport.close();
  });

  it('connects shared, leaves the card on close, resets it on reconnect, and closes pcsclite', async () => {
    const fake = fakePcscLite(['R0']);
    const transport = new PcscTransport({ loadPcscLite: () => fake.factory });
    await transport.list();
    const [r0] = fake.readers;
    await expect(transport.open()).rejects.toMatchObject({ code: 'NO_CARD' });
    r0!.status(PRESENT, [0x3b]);
    const connection = await transport.open();
    expect(r0!.connectOptions).toEqual({ share_mode: 2, protocol: 3 });
    expect([...(await connection.transmit(Uint8Array.of(1, 2)))]).toEqual([1, 2, 0x90, 0]);
    await connection.reconnect();
    expect(r0!.dispositions).toEqual([r0!.SCARD_RESET_CARD]);
    await transport.close();
    expect(r0!.dispositions).toEqual([r0!.SCARD_RESET_CARD, r0!.SCARD_LEAVE_CARD]);
    expect(r0!.closed).toBe(true);
    expect(fake.state.closed).toBe(true);
  });

  it('marks the connection removed on a status change and on SCARD_W_REMOVED_CARD', async () => {
    const fake = fakePcscLite(['R0']);
    const transport = new PcscTransport({ loadPcscLite: () => fake.factory, removalGraceMs: 10 });
    await transport.list();
    const [r0] = fake.readers;
    r0!.status(PRESENT, [0x3b]);
    const connection = await transport.open('R0');
    let removed = 0;
    connection.onRemoved(() => {
      removed += 1;
    });
    r0!.nextTransmitError = new Error('SCardTransmit error: Card was removed.(0x80100069)');
    await expect(connection.transmit(Uint8Array.of(0))).rejects.toMatchObject({ code: 'CARD_REMOVED' });
    expect(removed).toBe(1);
    // Until reconnect, transmits fail without touching the reader; a later status change fires nothing new.
    await expect(connection.transmit(Uint8Array.of(0))).rejects.toMatchObject({ code: 'CARD_REMOVED' });
    r0!.status(EMPTY);
    expect(removed).toBe(1);
    r0!.status(PRESENT, [0x3b]);
    await connection.reconnect();
    // A communication error while the card stays present is not a removal.
    r0!.nextTransmitError = new Error('SCardTransmit error: Transaction failed.(0x80100016)');
    await expect(connection.transmit(Uint8Array.of(0))).rejects.toMatchObject({ code: 'PCSC_ERROR' });
    r0!.status(EMPTY);
    expect(removed).toBe(2);
    await transport.close();
  });

  it('after pcsclite reports a monitor error (pcscd stopped), reports readers gone and starts afresh', async () => {
    const fake = fakePcscLite(['R0']);
    let instances = 0;
    const transport = new PcscTransport({
      loadPcscLite: () => () => {
        instances += 1;
        return fake.factory();
      },
    });
    const events: string[] = [];
    const errors: Error[] = [];
    transport.listen({ next: (e) => events.push(`${e.type} ${e.reader}`), error: (e) => errors.push(e) });
    await transport.list();
    fake.readers[0]!.status(PRESENT, [0x3b]);
    const connection = await transport.open('R0');
    fake.state.pcsc!.emit('error', new Error('SCardGetStatusChange error: Service was stopped.(0x8010001e)'));
    expect(errors[0]).toMatchObject({ code: 'READER_UNAVAILABLE', scardCode: 0x8010001e });
    expect(events.slice(-2)).toEqual(['card-removed R0', 'reader-removed R0']);
    await expect(connection.transmit(Uint8Array.of(0))).rejects.toMatchObject({ code: 'CARD_REMOVED' });
    await waitUntil(() => fake.state.closed);
    expect(fake.readers[0]!.closed).toBe(true);

    expect((await transport.list()).map((r) => r.name)).toEqual(['R0']);
    expect(instances).toBe(2);
    await transport.close();
  });
});

async function waitUntil(predicate: () => boolean) {
  for (let i = 0; i < 100 && !predicate(); i++) await new Promise((resolve) => setImmediate(resolve));
  expect(predicate()).toBe(true);
}

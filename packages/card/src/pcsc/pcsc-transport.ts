import { createRequire } from 'node:module';
import { CardError } from '../errors.js';
import { SerialQueue } from '../transport/serial-queue.js';
import type {
  CardConnection,
  ReaderEvent,
  ReaderInfo,
  ReaderObserver,
  Transport,
  Unsubscribe,
} from '../transport/transport.js';
import { pcscErrorToCardError, SCARD } from './pcsc-errors.js';
import type { PcscLite, PcscLiteFactory, PcscLiteReader, PcscLiteStatus } from './pcsclite-types.js';

/** Room for the largest extended-length answer: 65536 data bytes and SW1 SW2. */
const MAX_RESPONSE_LENGTH = 65538;

/** Transmit failures that, on vpcd and several real readers, are how a card pulled mid-command shows up. */
const MAYBE_REMOVED = new Set<number>([SCARD.E_NOT_TRANSACTED, SCARD.F_COMM_ERROR, SCARD.E_INVALID_HANDLE]);

export interface PcscTransportOptions {
  /** Replaces `require('pcsclite')`, for tests. */
  readonly loadPcscLite?: () => PcscLiteFactory;
  /** Upper bound on waiting for pcscd's first report of readers and cards in list()/open(). Default 3000 ms. */
  readonly settleTimeoutMs?: number;
  /**
   * After a transmit fails with a communication error, how long to wait for pcscd to notice that the
   * card left (then the error is CARD_REMOVED). Default 1500 ms.
   */
  readonly removalGraceMs?: number;
}

interface ReaderEntry {
  readonly reader: PcscLiteReader;
  present: boolean;
  atr: Uint8Array;
  statusSeen: boolean;
  readonly firstStatus: Deferred;
  /** Called on every status change (used to wait for a removal to be reported). */
  readonly statusWaiters: Set<() => void>;
  connection: PcscConnection | undefined;
}

/** What a connection may ask of its transport. */
interface ConnectionHost {
  entry(reader: string): ReaderEntry | undefined;
  waitForAbsence(reader: string): Promise<boolean>;
  forget(connection: PcscConnection): void;
}

/**
 * PC/SC through the `pcsclite` native module, which is loaded only when this transport is first used,
 * so the main entry of @mynakit/card never touches native code.
 *
 * Cards are opened in shared mode (other applications may use the card between our APDUs) and left
 * powered on close. `listen()` reports the readers and cards present now, then every change.
 * close() stops pcsclite's watcher threads: without it the process never exits.
 */
export class PcscTransport implements Transport {
  readonly #options: PcscTransportOptions;
  #pcsc: PcscLite | undefined;
  #started = deferred();
  #enumerated = deferred();
  readonly #readers = new Map<string, ReaderEntry>();
  readonly #observers = new Set<ReaderObserver>();
  readonly #connections = new Set<PcscConnection>();
  #closed = false;

  readonly #host: ConnectionHost = {
    entry: (reader) => this.#readers.get(reader),
    waitForAbsence: (reader) => this.#waitForAbsence(reader),
    forget: (connection) => {
      this.#connections.delete(connection);
    },
  };

  constructor(options: PcscTransportOptions = {}) {
    this.#options = options;
  }

  async list(): Promise<ReaderInfo[]> {
    await this.#ready();
    return [...this.#readers.values()].map((entry) =>
      entry.present
        ? { name: entry.reader.name, cardPresent: true, atr: entry.atr.slice() }
        : { name: entry.reader.name, cardPresent: false },
    );
  }

  listen(observer: ReaderObserver): Unsubscribe {
    try {
      this.#start();
    } catch (error) {
      queueMicrotask(() => observer.error?.(error as Error));
      return () => {};
    }
    for (const entry of this.#readers.values()) {
      observer.next({ type: 'reader-added', reader: entry.reader.name });
      if (entry.statusSeen && entry.present) {
        observer.next({ type: 'card-inserted', reader: entry.reader.name, atr: entry.atr.slice() });
      }
    }
    this.#observers.add(observer);
    return () => {
      this.#observers.delete(observer);
    };
  }

  async open(readerName?: string): Promise<CardConnection> {
    await this.#ready();
    const entry = readerName === undefined ? this.#firstWithCard() : this.#readers.get(readerName);
    if (entry === undefined) throw new CardError('NO_READER', `no reader named "${readerName}"`);
    const name = entry.reader.name;
    if (entry.connection !== undefined) {
      throw new CardError(
        'SHARING_VIOLATION',
        `reader "${name}" is already open in this transport; close it first`,
        {
          details: { reader: name },
        },
      );
    }
    const protocol = await connectReader(entry.reader);
    const connection = new PcscConnection(name, protocol, entry.atr, this.#host);
    entry.connection = connection;
    this.#connections.add(connection);
    return connection;
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    for (const connection of [...this.#connections]) await connection.close();
    this.#closed = true;
    this.#observers.clear();
    const pcsc = this.#pcsc;
    if (pcsc === undefined) return;
    // pcsclite starts its watcher on the next tick after creation; closing before that would leave it running.
    await withTimeout(this.#started.promise, 1000);
    for (const entry of this.#readers.values()) entry.reader.close();
    pcsc.close();
    this.#readers.clear();
  }

  #start(): PcscLite {
    if (this.#closed) throw closedError();
    if (this.#pcsc !== undefined) return this.#pcsc;
    let factory: PcscLiteFactory;
    try {
      factory = (this.#options.loadPcscLite ?? loadPcscLite)();
    } catch (error) {
      throw new CardError(
        'PCSC_ERROR',
        'the native module "pcsclite" is not available (install it, and libpcsclite-dev to build it)',
        { cause: error },
      );
    }
    let pcsc: PcscLite;
    try {
      pcsc = factory();
    } catch (error) {
      // pcsclite establishes its PC/SC context in the constructor: SCARD_E_NO_SERVICE when pcscd is down.
      throw pcscErrorToCardError(error, 'establish context');
    }
    this.#pcsc = pcsc;
    this.#started = deferred();
    this.#enumerated = deferred();
    this.#hookStart(pcsc);
    // Handlers stay attached after the instance is dropped, so its late errors are swallowed, not thrown.
    pcsc.on('error', (error) => {
      if (this.#pcsc === pcsc) this.#onMonitorError(error);
    });
    pcsc.on('reader', (reader) => {
      if (this.#pcsc === pcsc) this.#onReader(reader);
    });
    return pcsc;
  }

  /**
   * pcsclite gives no signal for "the first list of readers is complete" (with no reader it emits nothing),
   * so wrap the start() it calls on the next tick: its callback runs once per reader-list report.
   */
  #hookStart(pcsc: PcscLite): void {
    const started = this.#started;
    const enumerated = this.#enumerated;
    const original = pcsc.start;
    if (typeof original !== 'function') {
      setImmediate(() => started.resolve());
      return;
    }
    pcsc.start = (callback) => {
      started.resolve();
      original.call(pcsc, (error, data) => {
        try {
          callback(error, data);
        } finally {
          enumerated.resolve();
        }
      });
    };
  }

  async #ready(): Promise<void> {
    this.#start();
    const timeout = this.#options.settleTimeoutMs ?? 3000;
    await withTimeout(this.#enumerated.promise, timeout);
    await withTimeout(
      Promise.all([...this.#readers.values()].map((entry) => entry.firstStatus.promise)),
      timeout,
    );
    if (this.#closed) throw closedError();
  }

  #onReader(reader: PcscLiteReader): void {
    if (this.#closed) {
      // A reader reported while close() runs has a watcher thread of its own: stop it too, or the process never
      // exits. Not from inside pcsclite's callback (close joins the thread).
      setImmediate(() => reader.close());
      return;
    }
    const entry: ReaderEntry = {
      reader,
      present: false,
      atr: new Uint8Array(0),
      statusSeen: false,
      firstStatus: deferred(),
      statusWaiters: new Set(),
      connection: undefined,
    };
    this.#readers.set(reader.name, entry);
    reader.on('error', (error) => {
      if (!this.#closed) this.#emitError(pcscErrorToCardError(error, 'watch reader', reader.name));
    });
    reader.on('status', (status) => this.#onStatus(entry, status));
    reader.on('end', () => this.#onReaderEnd(entry));
    this.#emit({ type: 'reader-added', reader: reader.name });
  }

  #onStatus(entry: ReaderEntry, status: PcscLiteStatus): void {
    if (this.#closed || this.#readers.get(entry.reader.name) !== entry) return;
    const present = (status.state & entry.reader.SCARD_STATE_PRESENT) !== 0;
    const wasPresent = entry.present;
    entry.statusSeen = true;
    entry.present = present;
    if (present && !wasPresent) {
      entry.atr = status.atr === undefined ? new Uint8Array(0) : new Uint8Array(status.atr);
      this.#emit({ type: 'card-inserted', reader: entry.reader.name, atr: entry.atr.slice() });
    } else if (!present && wasPresent) {
      entry.atr = new Uint8Array(0);
      entry.connection?.cardGone();
      this.#emit({ type: 'card-removed', reader: entry.reader.name });
    }
    entry.firstStatus.resolve();
    for (const waiter of [...entry.statusWaiters]) waiter();
  }

  #onReaderEnd(entry: ReaderEntry): void {
    if (this.#closed || this.#readers.get(entry.reader.name) !== entry) return;
    this.#readers.delete(entry.reader.name);
    entry.firstStatus.resolve();
    if (entry.present) {
      entry.present = false;
      entry.connection?.cardGone();
      this.#emit({ type: 'card-removed', reader: entry.reader.name });
    }
    for (const waiter of [...entry.statusWaiters]) waiter();
    this.#emit({ type: 'reader-removed', reader: entry.reader.name });
  }

  #onMonitorError(error: unknown): void {
    // After close(), pcsclite reports its own cancellation as an error: nothing to tell anyone.
    if (this.#closed) return;
    const cardError = pcscErrorToCardError(error, 'list readers');
    this.#enumerated.reject(cardError);
    this.#emitError(cardError);
    this.#dropInstance();
  }

  /**
   * pcsclite's watcher thread stops for good after an error (e.g. pcscd stopped): forget this instance,
   * report its readers as gone, and let the next call start afresh (pcscd may be back by then).
   */
  #dropInstance(): void {
    const pcsc = this.#pcsc;
    if (pcsc === undefined) return;
    this.#pcsc = undefined;
    const entries = [...this.#readers.values()];
    this.#readers.clear();
    for (const entry of entries) {
      if (entry.present) {
        entry.connection?.cardGone();
        this.#emit({ type: 'card-removed', reader: entry.reader.name });
      }
      entry.firstStatus.resolve();
      for (const waiter of [...entry.statusWaiters]) waiter();
      this.#emit({ type: 'reader-removed', reader: entry.reader.name });
    }
    // Not from inside pcsclite's own callback: close() joins the watcher threads.
    setImmediate(() => {
      for (const entry of entries) entry.reader.close();
      pcsc.close();
    });
  }

  #waitForAbsence(reader: string): Promise<boolean> {
    const entry = this.#readers.get(reader);
    if (entry === undefined || !entry.present) return Promise.resolve(true);
    const grace = this.#options.removalGraceMs ?? 1500;
    return new Promise((resolve) => {
      const done = (gone: boolean) => {
        clearTimeout(timer);
        entry.statusWaiters.delete(check);
        resolve(gone);
      };
      const check = () => {
        if (!entry.present || this.#readers.get(reader) !== entry) done(true);
      };
      const timer = setTimeout(() => done(false), grace);
      entry.statusWaiters.add(check);
    });
  }

  #firstWithCard(): ReaderEntry {
    for (const entry of this.#readers.values()) if (entry.present) return entry;
    if (this.#readers.size === 0) throw new CardError('NO_READER', 'no PC/SC reader is connected');
    throw new CardError('NO_CARD', 'no reader holds a card');
  }

  #emit(event: ReaderEvent): void {
    for (const observer of [...this.#observers]) observer.next(event);
  }

  #emitError(error: Error): void {
    for (const observer of [...this.#observers]) observer.error?.(error);
  }
}

class PcscConnection implements CardConnection {
  readonly reader: string;
  readonly #host: ConnectionHost;
  readonly #queue = new SerialQueue();
  readonly #removedListeners = new Set<() => void>();
  #protocol: number;
  #atr: Uint8Array;
  #removed = false;
  #closed = false;

  constructor(reader: string, protocol: number, atr: Uint8Array, host: ConnectionHost) {
    this.reader = reader;
    this.#protocol = protocol;
    this.#atr = atr.slice();
    this.#host = host;
  }

  get atr(): Uint8Array {
    return this.#atr.slice();
  }

  transmit(apdu: Uint8Array): Promise<Uint8Array> {
    const command = Buffer.from(apdu);
    return this.#queue.run(async () => {
      if (this.#closed) throw closedError();
      if (this.#removed) throw removedError(this.reader);
      const entry = this.#host.entry(this.reader);
      if (entry === undefined) throw removedError(this.reader);
      try {
        const response = await new Promise<Buffer>((resolve, reject) =>
          entry.reader.transmit(command, MAX_RESPONSE_LENGTH, this.#protocol, (error, data) =>
            error ? reject(error) : resolve(data),
          ),
        );
        if (response.length >= 2) return new Uint8Array(response);
        // No status word at all: some drivers (vpcd among them) answer a command that was cut off by the
        // card's removal with an empty response instead of an error. Tell removal from a broken answer.
        if (await this.#host.waitForAbsence(this.reader)) {
          this.cardGone();
          throw new CardError('CARD_REMOVED', `the card was removed from reader "${this.reader}"`, {
            details: { reader: this.reader, operation: 'transmit' },
          });
        }
        return new Uint8Array(response);
      } catch (error) {
        if (error instanceof CardError && error.code === 'CARD_REMOVED') throw error;
        let cardError = pcscErrorToCardError(error, 'transmit', this.reader);
        if (
          cardError.code !== 'CARD_REMOVED' &&
          cardError.scardCode !== undefined &&
          MAYBE_REMOVED.has(cardError.scardCode) &&
          (await this.#host.waitForAbsence(this.reader))
        ) {
          cardError = new CardError('CARD_REMOVED', `the card was removed from reader "${this.reader}"`, {
            scardCode: cardError.scardCode,
            details: { reader: this.reader, operation: 'transmit' },
            cause: error,
          });
        }
        if (cardError.code === 'CARD_REMOVED') this.cardGone();
        throw cardError;
      }
    });
  }

  onRemoved(listener: () => void): Unsubscribe {
    this.#removedListeners.add(listener);
    return () => {
      this.#removedListeners.delete(listener);
    };
  }

  /**
   * pcsclite has no SCardReconnect: disconnect, resetting the card so its state is fresh as the
   * interface promises, then connect again to whatever card is in the reader now.
   */
  reconnect(): Promise<void> {
    return this.#queue.run(async () => {
      if (this.#closed) throw closedError();
      const entry = this.#host.entry(this.reader);
      if (entry === undefined) throw new CardError('NO_READER', `reader "${this.reader}" is gone`);
      await disconnectReader(entry.reader, entry.reader.SCARD_RESET_CARD);
      this.#protocol = await connectReader(entry.reader);
      entry.connection = this;
      this.#atr = entry.atr.slice();
      this.#removed = false;
    });
  }

  close(): Promise<void> {
    return this.#queue.run(async () => {
      if (this.#closed) return;
      this.#closed = true;
      this.#removedListeners.clear();
      this.#host.forget(this);
      const entry = this.#host.entry(this.reader);
      if (entry === undefined) return;
      if (entry.connection === this) entry.connection = undefined;
      await disconnectReader(entry.reader, entry.reader.SCARD_LEAVE_CARD);
    });
  }

  /** The card left (status change or a transmit that said so): fail until reconnect(), tell listeners once. */
  cardGone(): void {
    if (this.#removed || this.#closed) return;
    this.#removed = true;
    for (const listener of [...this.#removedListeners]) listener();
  }
}

function connectReader(reader: PcscLiteReader): Promise<number> {
  if (reader.connected) {
    // A previous handle we could not disconnect: pcsclite's connect() would silently do nothing.
    reader.connected = false;
  }
  return new Promise((resolve, reject) =>
    reader.connect(
      {
        share_mode: reader.SCARD_SHARE_SHARED,
        protocol: reader.SCARD_PROTOCOL_T0 | reader.SCARD_PROTOCOL_T1,
      },
      (error, protocol) =>
        error ? reject(pcscErrorToCardError(error, 'connect', reader.name)) : resolve(protocol),
    ),
  );
}

/** Disconnect; failures (e.g. the card is gone) are ignored, the handle is released either way. */
async function disconnectReader(reader: PcscLiteReader, disposition: number): Promise<void> {
  if (!reader.connected) return;
  await new Promise<void>((resolve) => reader.disconnect(disposition, () => resolve()));
  reader.connected = false;
}

function loadPcscLite(): PcscLiteFactory {
  return createRequire(import.meta.url)('pcsclite') as PcscLiteFactory;
}

function removedError(reader: string): CardError {
  return new CardError('CARD_REMOVED', `the card was removed from reader "${reader}"`, {
    details: { reader },
  });
}

function closedError(): CardError {
  return new CardError('TRANSPORT_CLOSED', 'the PC/SC transport or connection is closed');
}

interface Deferred {
  readonly promise: Promise<void>;
  resolve(): void;
  reject(error: Error): void;
}

function deferred(): Deferred {
  let resolve!: () => void;
  let reject!: (error: Error) => void;
  const promise = new Promise<void>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  // A rejection nobody waits for (e.g. a monitor error before anyone called list()) is not a crash.
  promise.catch(() => undefined);
  return { promise, resolve, reject };
}

/** Waits for `promise` at most `ms`; the timeout is not an error (callers then use what they have). */
async function withTimeout(promise: Promise<unknown>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([promise, new Promise<void>((resolve) => (timer = setTimeout(resolve, ms)))]);
  } finally {
    clearTimeout(timer);
  }
}

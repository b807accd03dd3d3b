import { CardError } from '../errors.js';
import type { CardEmulator } from './card-emulator.js';
import { SerialQueue } from './serial-queue.js';
import type {
  CardConnection,
  ReaderEvent,
  ReaderInfo,
  ReaderObserver,
  Transport,
  Unsubscribe,
} from './transport.js';

interface Insertion {
  readonly emulator: CardEmulator;
  /** Whether the card has been powered since it was inserted (PC/SC powers a card on first connect). */
  powered: boolean;
}

interface Slot {
  card: Insertion | undefined;
  /** The next transmit on this reader loses the card: before or after the card processed the command. */
  removeDuringTransmit: 'before-card' | 'after-card' | undefined;
}

export interface RemoveDuringTransmitOptions {
  /**
   * `after-card` (default): the card executes the command (a VERIFY counts, a signature is made) but the
   * answer never arrives — the harshest case for the host. `before-card`: the command is lost.
   */
  readonly when?: 'before-card' | 'after-card';
}

/**
 * A transport over software cards in named slots: what tests, the browser playground and the CLI's demo
 * use instead of PC/SC. It behaves like PC/SC where callers can tell the difference: events for readers
 * and cards, one APDU in flight per connection, CARD_REMOVED after removal until reconnect().
 */
export class MemoryTransport implements Transport {
  readonly #slots = new Map<string, Slot>();
  readonly #observers = new Set<ReaderObserver>();
  readonly #connections = new Set<MemoryConnection>();
  #closed = false;

  /** What connections may do to their reader, kept off the public API. */
  readonly #host: ConnectionHost = {
    currentCard: (reader) => this.#slots.get(reader)?.card,
    takeRemovalPlan: (reader) => {
      const slot = this.#slots.get(reader);
      const plan = slot?.removeDuringTransmit;
      if (slot !== undefined) slot.removeDuringTransmit = undefined;
      return plan;
    },
    remove: (reader) => this.remove(reader),
    forget: (connection) => this.#connections.delete(connection),
  };

  constructor(readers: Iterable<string> = []) {
    for (const name of readers) this.addReader(name);
  }

  addReader(name: string): void {
    if (this.#slots.has(name)) return;
    this.#slots.set(name, { card: undefined, removeDuringTransmit: undefined });
    this.#emit({ type: 'reader-added', reader: name });
  }

  /** Unplug a reader; a card in it is removed first. */
  removeReader(name: string): void {
    if (!this.#slots.has(name)) return;
    this.remove(name);
    this.#slots.delete(name);
    this.#emit({ type: 'reader-removed', reader: name });
  }

  /** Put a card into a reader (the reader is added when it does not exist yet). */
  insert(readerName: string, emulator: CardEmulator): void {
    this.addReader(readerName);
    const slot = this.#slots.get(readerName)!;
    if (slot.card !== undefined) {
      throw new CardError('INVALID_INPUT', `reader "${readerName}" already holds a card; remove it first`);
    }
    slot.card = { emulator, powered: false };
    this.#emit({ type: 'card-inserted', reader: readerName, atr: emulator.atr.slice() });
  }

  /** Pull the card out: it loses power, connections fail with CARD_REMOVED and their onRemoved listeners run. */
  remove(readerName: string): void {
    const slot = this.#slots.get(readerName);
    const card = slot?.card;
    if (slot === undefined || card === undefined) return;
    slot.card = undefined;
    slot.removeDuringTransmit = undefined;
    if (card.powered) card.emulator.powerOff();
    for (const connection of this.#connections) {
      if (connection.reader === readerName) connection.cardGone();
    }
    this.#emit({ type: 'card-removed', reader: readerName });
  }

  /** The next transmit on `readerName` has its card pulled out while the command is in flight. */
  removeDuringNextTransmit(readerName: string, options: RemoveDuringTransmitOptions = {}): void {
    const slot = this.#slots.get(readerName);
    if (slot?.card === undefined) throw new CardError('NO_CARD', `no card in reader "${readerName}"`);
    slot.removeDuringTransmit = options.when ?? 'after-card';
  }

  async list(): Promise<ReaderInfo[]> {
    this.#assertOpen();
    return [...this.#slots].map(([name, slot]) =>
      slot.card === undefined
        ? { name, cardPresent: false }
        : { name, cardPresent: true, atr: slot.card.emulator.atr.slice() },
    );
  }

  /** Reports the present readers and cards first (as added/inserted events), then every change. */
  listen(observer: ReaderObserver): Unsubscribe {
    if (this.#closed) {
      observer.error?.(closedError());
      return () => {};
    }
    for (const [name, slot] of this.#slots) {
      observer.next({ type: 'reader-added', reader: name });
      if (slot.card !== undefined) {
        observer.next({ type: 'card-inserted', reader: name, atr: slot.card.emulator.atr.slice() });
      }
    }
    this.#observers.add(observer);
    return () => {
      this.#observers.delete(observer);
    };
  }

  async open(reader?: string): Promise<CardConnection> {
    this.#assertOpen();
    const name = reader ?? this.#firstReaderWithCard();
    const slot = this.#slots.get(name);
    if (slot === undefined) throw new CardError('NO_READER', `no reader named "${name}"`);
    const card = slot.card;
    if (card === undefined) throw new CardError('NO_CARD', `no card in reader "${name}"`);
    if (!card.powered) {
      card.emulator.powerOn();
      card.powered = true;
    }
    const connection = new MemoryConnection(name, card, this.#host);
    this.#connections.add(connection);
    return connection;
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    for (const connection of [...this.#connections]) await connection.close();
    this.#closed = true;
    this.#observers.clear();
  }

  #firstReaderWithCard(): string {
    for (const [name, slot] of this.#slots) if (slot.card !== undefined) return name;
    if (this.#slots.size === 0) throw new CardError('NO_READER', 'no reader is connected');
    throw new CardError('NO_CARD', 'no reader holds a card');
  }

  #emit(event: ReaderEvent): void {
    for (const observer of [...this.#observers]) observer.next(event);
  }

  #assertOpen(): void {
    if (this.#closed) throw closedError();
  }
}

interface ConnectionHost {
  currentCard(reader: string): Insertion | undefined;
  /** Consumes a pending removeDuringNextTransmit. */
  takeRemovalPlan(reader: string): 'before-card' | 'after-card' | undefined;
  remove(reader: string): void;
  forget(connection: MemoryConnection): void;
}

class MemoryConnection implements CardConnection {
  readonly reader: string;
  readonly #host: ConnectionHost;
  readonly #queue = new SerialQueue();
  readonly #removedListeners = new Set<() => void>();
  /** The insertion this connection talks to; undefined once that card is gone. */
  #card: Insertion | undefined;
  #atr: Uint8Array;
  #closed = false;

  constructor(reader: string, card: Insertion, host: ConnectionHost) {
    this.reader = reader;
    this.#card = card;
    this.#atr = card.emulator.atr.slice();
    this.#host = host;
  }

  get atr(): Uint8Array {
    return this.#atr.slice();
  }

  transmit(apdu: Uint8Array): Promise<Uint8Array> {
    const command = apdu.slice();
    return this.#queue.run(async () => {
      const card = this.#usableCard();
      const plan = this.#host.takeRemovalPlan(this.reader);
      if (plan === 'before-card') {
        this.#host.remove(this.reader);
        throw removedError(this.reader);
      }
      const response = await card.emulator.transmit(command);
      if (plan === 'after-card') this.#host.remove(this.reader);
      // The card may also have been pulled out while an async emulator was working.
      if (this.#card !== card) throw removedError(this.reader);
      return response.slice();
    });
  }

  onRemoved(listener: () => void): Unsubscribe {
    this.#removedListeners.add(listener);
    return () => {
      this.#removedListeners.delete(listener);
    };
  }

  /** Connect again to whatever card is in the reader now; the card's state is fresh (power-on or reset). */
  reconnect(): Promise<void> {
    return this.#queue.run(async () => {
      if (this.#closed) throw closedError();
      const card = this.#host.currentCard(this.reader);
      if (card === undefined) throw new CardError('NO_CARD', `no card in reader "${this.reader}"`);
      if (card.powered) card.emulator.reset();
      else {
        card.emulator.powerOn();
        card.powered = true;
      }
      this.#card = card;
      this.#atr = card.emulator.atr.slice();
    });
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#card = undefined;
    this.#removedListeners.clear();
    this.#host.forget(this);
  }

  /** @internal the transport tells us our card was removed. */
  cardGone(): void {
    if (this.#card === undefined) return;
    this.#card = undefined;
    for (const listener of [...this.#removedListeners]) listener();
  }

  #usableCard(): Insertion {
    if (this.#closed) throw closedError();
    const card = this.#card;
    if (card === undefined || this.#host.currentCard(this.reader) !== card) {
      throw removedError(this.reader);
    }
    return card;
  }
}

function removedError(reader: string): CardError {
  return new CardError('CARD_REMOVED', `the card was removed from reader "${reader}"`, {
    details: { reader },
  });
}

function closedError(): CardError {
  return new CardError('TRANSPORT_CLOSED', 'the connection or transport is closed');
}

import { CardError } from '../errors.js';
import { ApduRedactor } from './redactor.js';
import { SerialQueue } from './serial-queue.js';
import { describePattern, matchCommand, parseTranscript, type Transcript } from './transcript.js';
import type { CardConnection, ReaderInfo, ReaderObserver, Transport, Unsubscribe } from './transport.js';

export interface ReplayTransportOptions {
  /** The reader name to present; default: the transcript's `# reader:` line, else "Replay". */
  readonly reader?: string;
}

/**
 * Plays a card from a transcript: each command must match the next recorded one, in order, and gets the
 * recorded response. Anything else fails with REPLAY_MISMATCH, whose details name the transcript line and
 * show both commands in redacted form (never the data of a VERIFY).
 *
 * A response recorded as `[redacted personal data]` cannot be reproduced: reaching it is a REPLAY_MISMATCH
 * too ("response was redacted"). Replay such sessions against the virtual card instead, or hand-edit the
 * transcript with synthetic data.
 */
export class ReplayTransport implements Transport {
  readonly #transcript: Transcript;
  readonly #reader: string;
  readonly #atr: Uint8Array;
  readonly #queue = new SerialQueue();
  /** Follows the host's actual commands, to describe them safely in errors. */
  readonly #redactor = new ApduRedactor();
  #cursor = 0;
  #closed = false;

  constructor(transcript: string | Transcript, options: ReplayTransportOptions = {}) {
    this.#transcript = typeof transcript === 'string' ? parseTranscript(transcript) : transcript;
    this.#reader = options.reader ?? this.#transcript.header.reader ?? 'Replay';
    this.#atr = this.#transcript.header.atr?.slice() ?? new Uint8Array(0);
  }

  /** Exchanges not yet replayed. */
  get remaining(): number {
    return this.#transcript.exchanges.length - this.#cursor;
  }

  /** Fails with REPLAY_MISMATCH when the host stopped before the end of the transcript. */
  assertComplete(): void {
    const next = this.#transcript.exchanges[this.#cursor];
    if (next === undefined) return;
    throw new CardError('REPLAY_MISMATCH', `the transcript expected more commands (line ${next.line})`, {
      details: { line: next.line, expected: describePattern(next.command), remaining: this.remaining },
    });
  }

  async list(): Promise<ReaderInfo[]> {
    this.#assertOpen();
    return [{ name: this.#reader, cardPresent: true, atr: this.#atr.slice() }];
  }

  listen(observer: ReaderObserver): Unsubscribe {
    if (this.#closed) {
      observer.error?.(closedError());
      return () => {};
    }
    observer.next({ type: 'reader-added', reader: this.#reader });
    observer.next({ type: 'card-inserted', reader: this.#reader, atr: this.#atr.slice() });
    return () => {};
  }

  async open(reader?: string): Promise<CardConnection> {
    this.#assertOpen();
    if (reader !== undefined && reader !== this.#reader) {
      throw new CardError('NO_READER', `no reader named "${reader}" in this replay`);
    }
    let closed = false;
    const transport = this;
    return {
      reader: this.#reader,
      atr: this.#atr.slice(),
      transmit(apdu) {
        const command = apdu.slice();
        return transport.#queue.run(() => {
          if (closed) throw closedError();
          return transport.#answer(command);
        });
      },
      // A transcript holds no removals; the card never leaves.
      onRemoved: () => () => {},
      reconnect: async () => {
        if (closed) throw closedError();
        transport.#redactor.reset();
      },
      close: async () => {
        closed = true;
      },
    };
  }

  async close(): Promise<void> {
    this.#closed = true;
  }

  #answer(command: Uint8Array): Uint8Array {
    this.#assertOpen();
    const actual = this.#redactor.command(command);
    const exchange = this.#transcript.exchanges[this.#cursor];
    if (exchange === undefined) {
      throw new CardError('REPLAY_MISMATCH', 'the transcript has no more exchanges', {
        details: { actual, line: null },
      });
    }
    if (!matchCommand(exchange.command, command)) {
      throw new CardError('REPLAY_MISMATCH', `command does not match transcript line ${exchange.line}`, {
        details: { line: exchange.line, expected: describePattern(exchange.command), actual },
      });
    }
    const recorded = exchange.response.bytes;
    if (recorded === undefined) {
      throw new CardError(
        'REPLAY_MISMATCH',
        `response was redacted at transcript line ${exchange.response.line}: personal data cannot be replayed`,
        { details: { line: exchange.response.line, expected: describePattern(exchange.command), actual } },
      );
    }
    this.#cursor += 1;
    this.#redactor.response(recorded);
    return recorded.slice();
  }

  #assertOpen(): void {
    if (this.#closed) throw closedError();
  }
}

function closedError(): CardError {
  return new CardError('TRANSPORT_CLOSED', 'the replay transport or connection is closed');
}

import { bytesToHex } from './hex.js';
import { ApduRedactor } from './redactor.js';
import { formatTranscriptHeader, singleLine } from './transcript.js';
import type { CardConnection, ReaderInfo, ReaderObserver, Transport, Unsubscribe } from './transport.js';

/**
 * Writes a transcript (see transcript.ts) of one card session. Redaction is built in and cannot be turned
 * off: every line goes through an ApduRedactor that follows the session's SELECTs.
 */
export class TranscriptRecorder {
  readonly #lines: string[] = [];
  readonly #redactor = new ApduRedactor();
  readonly #onLine: ((line: string) => void) | undefined;

  constructor(header: { reader: string; atr: Uint8Array }, onLine?: (line: string) => void) {
    this.#onLine = onLine;
    for (const line of formatTranscriptHeader(header)) this.#push(line);
  }

  command(apdu: Uint8Array): void {
    this.#push(`=> ${this.#redactor.command(apdu)}`);
  }

  response(raw: Uint8Array): void {
    this.#push(`<= ${this.#redactor.response(raw)}`);
  }

  /** A transmit failed: note it, and forget the selection state (we cannot know what the card did). */
  failure(error: unknown): void {
    const code = (error as { code?: unknown } | undefined)?.code;
    this.#push(`# transmit failed: ${typeof code === 'string' ? singleLine(code) : 'error'}`);
    this.#redactor.reset();
  }

  /** The card was reset or reconnected: its state is fresh. */
  reconnected(atr: Uint8Array): void {
    this.#redactor.reset();
    this.note(`reconnect, atr ${bytesToHex(atr)}`);
  }

  /** A free-text comment line (never put card data here). */
  note(text: string): void {
    this.#push(`# ${singleLine(text)}`);
  }

  get lines(): readonly string[] {
    return this.#lines;
  }

  toString(): string {
    return `${this.#lines.join('\n')}\n`;
  }

  #push(line: string): void {
    this.#lines.push(line);
    this.#onLine?.(line);
  }
}

/** A connection that records everything that goes through it. */
export interface RecordingConnection extends CardConnection {
  readonly recorder: TranscriptRecorder;
  /** The transcript so far, as text. */
  transcript(): string;
}

/** Wrap one open connection so its exchanges are recorded. */
export function recordConnection(
  connection: CardConnection,
  onLine?: (line: string) => void,
): RecordingConnection {
  const recorder = new TranscriptRecorder({ reader: connection.reader, atr: connection.atr }, onLine);
  return {
    get reader() {
      return connection.reader;
    },
    get atr() {
      return connection.atr;
    },
    recorder,
    transcript: () => recorder.toString(),
    // The wrapped connection serializes transmits; recording inside the call keeps command and response
    // adjacent because the next call's command is only written once this one has settled.
    transmit: (() => {
      let tail: Promise<unknown> = Promise.resolve();
      return (apdu: Uint8Array) => {
        const run = tail.then(async () => {
          recorder.command(apdu);
          try {
            const response = await connection.transmit(apdu);
            recorder.response(response);
            return response;
          } catch (error) {
            recorder.failure(error);
            throw error;
          }
        });
        tail = run.catch(() => undefined);
        return run;
      };
    })(),
    onRemoved: (listener) => connection.onRemoved(listener),
    reconnect: async () => {
      await connection.reconnect();
      recorder.reconnected(connection.atr);
    },
    close: () => connection.close(),
  };
}

export interface RecordingTransportOptions {
  /** Every transcript line as it is written, with the reader it belongs to (e.g. to append to a file). */
  readonly onLine?: (line: string, reader: string) => void;
}

/** Wraps any transport: each opened connection records its own transcript. */
export class RecordingTransport implements Transport {
  readonly #inner: Transport;
  readonly #options: RecordingTransportOptions;
  readonly #recorded: RecordingConnection[] = [];

  constructor(inner: Transport, options: RecordingTransportOptions = {}) {
    this.#inner = inner;
    this.#options = options;
  }

  list(): Promise<ReaderInfo[]> {
    return this.#inner.list();
  }

  listen(observer: ReaderObserver): Unsubscribe {
    return this.#inner.listen(observer);
  }

  async open(reader?: string): Promise<RecordingConnection> {
    const connection = await this.#inner.open(reader);
    const onLine = this.#options.onLine;
    const recorded = recordConnection(
      connection,
      onLine === undefined ? undefined : (line) => onLine(line, connection.reader),
    );
    this.#recorded.push(recorded);
    return recorded;
  }

  /** The transcripts of every connection opened so far, in opening order. */
  transcripts(): string[] {
    return this.#recorded.map((connection) => connection.transcript());
  }

  close(): Promise<void> {
    return this.#inner.close();
  }
}

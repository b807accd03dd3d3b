import { CardError, type CardErrorCode, isCardErrorCode } from '../errors.js';
import type { CardConnection } from '../transport/transport.js';
import {
  type ApduForm,
  chainCommand,
  encodeCommand,
  needsExtended,
  SHORT_MAX_LC,
  SHORT_MAX_LE,
  validateCommand,
} from './command.js';
import { parseResponse, sw1, sw2 } from './response.js';
import type { CommandApdu, ResponseApdu } from './types.js';

export interface ApduChannelOptions {
  /**
   * 'auto' (default): send extended APDUs when a command needs them and fall back to short ones if the card or
   * reader refuses; 'on': send extended APDUs and never fall back; 'off': never send extended APDUs.
   */
  extendedLength?: 'auto' | 'on' | 'off';
  /** Cap on 61xx GET RESPONSE rounds for one command (default 64); beyond it → CardError MALFORMED_RESPONSE. */
  maxGetResponse?: number;
  /** Timeout per raw APDU in milliseconds (default 30 000) → CardError TIMEOUT. */
  timeoutMs?: number;
}

/** Status words that, in answer to an extended-length APDU, mean "I cannot take this form". */
const EXTENDED_REFUSAL_SW = new Set([0x6700, 0x6d00, 0x6e00]);

/** Transport failures that say nothing about the APDU's form: re-sending in short form would not help. */
const NON_REFUSAL_CODES = new Set<CardErrorCode>([
  'CARD_REMOVED',
  'TIMEOUT',
  'TRANSPORT_CLOSED',
  'NO_CARD',
  'NO_READER',
  'READER_UNAVAILABLE',
  'SHARING_VIOLATION',
]);

const noop = (): void => {};

/** A CardError, also one from another copy of this package (instanceof fails across copies). */
function isCardErrorLike(error: unknown): error is CardError {
  if (error instanceof CardError) return true;
  if (!(error instanceof Error) || error.name !== 'CardError') return false;
  const code = (error as { code?: unknown }).code;
  return typeof code === 'string' && isCardErrorCode(code);
}

function wrapTransportError(error: unknown): CardError {
  if (isCardErrorLike(error)) return error;
  const message = error instanceof Error ? error.message : String(error);
  if (/closed/i.test(message)) {
    return new CardError('TRANSPORT_CLOSED', 'the card connection is closed', { cause: error });
  }
  // PC/SC libraries put the SCARD_* code in the message, e.g. "SCardTransmit error: ...(0x80100016)".
  const match = /0x([0-9a-f]{8})/i.exec(message);
  return new CardError('PCSC_ERROR', 'transmitting the APDU failed', {
    cause: error,
    ...(match?.[1] !== undefined && { scardCode: Number.parseInt(match[1], 16) }),
  });
}

function concat(chunks: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
  let offset = 0;
  for (const chunk of chunks) {
    out.set(chunk, offset);
    offset += chunk.length;
  }
  return out;
}

/**
 * Turns logical commands into raw APDU exchanges: short/extended encoding, extended-length fallback,
 * command chaining, 61xx GET RESPONSE and 6Cxx Le correction, per-APDU timeout, and one command at a time.
 *
 * Extended-length fallback ('auto'): when a command needs extended length and the card answers the extended
 * form with 6700/6D00/6E00, or the reader fails it (any transport error but removal, timeout or a closed or
 * missing reader), the channel records `extendedLengthSupported = false` and re-issues the command in short
 * form — from then on every command goes straight to short form. In short form Le above 256 is lowered to
 * 256: **the caller receives at most 256 bytes and must read on** (e.g. READ BINARY at the next offset), so
 * callers always look at the data length instead of assuming Le bytes came back. Data over 255 bytes is sent
 * with ISO command chaining. Once an extended APDU has been answered normally (`extendedLengthSupported` is
 * true), a later 6700 is taken at face value and returned.
 *
 * The returned response never carries 61xx or 6Cxx: those are resolved here.
 */
export class ApduChannel {
  /** Raw APDUs exchanged (including GET RESPONSE, chaining blocks and retries), for benchmarks. */
  readonly stats: { apdus: number } = { apdus: 0 };

  readonly #connection: Pick<CardConnection, 'transmit'>;
  readonly #mode: 'auto' | 'on' | 'off';
  readonly #maxGetResponse: number;
  readonly #timeoutMs: number;
  #extended: boolean | null = null;
  #tail: Promise<void> = Promise.resolve();

  constructor(connection: Pick<CardConnection, 'transmit'>, options: ApduChannelOptions = {}) {
    const mode = options.extendedLength ?? 'auto';
    if (mode !== 'auto' && mode !== 'on' && mode !== 'off') {
      throw new CardError('INVALID_INPUT', "extendedLength must be 'auto', 'on' or 'off'");
    }
    const maxGetResponse = options.maxGetResponse ?? 64;
    if (!Number.isInteger(maxGetResponse) || maxGetResponse < 0) {
      throw new CardError('INVALID_INPUT', 'maxGetResponse must be a non-negative integer');
    }
    const timeoutMs = options.timeoutMs ?? 30_000;
    if (!Number.isFinite(timeoutMs) || timeoutMs <= 0) {
      throw new CardError('INVALID_INPUT', 'timeoutMs must be a positive number');
    }
    this.#connection = connection;
    this.#mode = mode;
    this.#maxGetResponse = maxGetResponse;
    this.#timeoutMs = timeoutMs;
  }

  /** Whether the card and reader take extended-length APDUs: null until an extended APDU has been tried. */
  get extendedLengthSupported(): boolean | null {
    return this.#extended;
  }

  /**
   * Sends one logical command and returns its complete response. Commands are queued: the next one starts
   * only after the previous one settled, even when callers do not await.
   */
  transmit(command: CommandApdu): Promise<ResponseApdu> {
    const run = this.#tail.then(() => this.#run(command));
    this.#tail = run.then(noop, noop);
    return run;
  }

  async #run(command: CommandApdu): Promise<ResponseApdu> {
    validateCommand(command, 'extended');
    if (!needsExtended(command)) {
      return this.#finish(command, 'short', await this.#send(encodeCommand(command, 'short')));
    }
    if (this.#mode === 'off' || (this.#mode === 'auto' && this.#extended === false)) {
      return this.#runShort(command);
    }
    return this.#runExtended(command);
  }

  async #runExtended(command: CommandApdu): Promise<ResponseApdu> {
    const mayFallBack = this.#mode === 'auto' && this.#extended !== true;
    let first: ResponseApdu;
    try {
      first = await this.#send(encodeCommand(command, 'extended'));
    } catch (error) {
      if (mayFallBack && isCardErrorLike(error) && !NON_REFUSAL_CODES.has(error.code)) {
        this.#extended = false;
        return this.#runShort(command);
      }
      throw error;
    }
    if (EXTENDED_REFUSAL_SW.has(first.sw)) {
      if (mayFallBack) {
        this.#extended = false;
        return this.#runShort(command);
      }
    } else {
      this.#extended = true;
    }
    return this.#finish(command, 'extended', first);
  }

  /** Short form only: Le capped at 256, long data chained in 255-byte blocks. */
  async #runShort(command: CommandApdu): Promise<ResponseApdu> {
    const { le, ...rest } = command;
    const capped: CommandApdu = le === undefined ? rest : { ...rest, le: Math.min(le, SHORT_MAX_LE) };
    const blocks = chainCommand(capped, SHORT_MAX_LC);
    for (let i = 0; i < blocks.length - 1; i++) {
      const block = blocks[i]!;
      const answer = await this.#send(encodeCommand(block, 'short'));
      // A card that refuses a block ends the chain; its (completed) answer is the command's answer.
      if (answer.sw !== 0x9000) return this.#finish(block, 'short', answer);
    }
    const last = blocks[blocks.length - 1]!;
    return this.#finish(last, 'short', await this.#send(encodeCommand(last, 'short')));
  }

  /** Resolves 6Cxx (once) and 61xx (up to the cap) after the first answer to `sent`. */
  async #finish(sent: CommandApdu, form: ApduForm, first: ResponseApdu): Promise<ResponseApdu> {
    let response = await this.#correctLe(sent, form, first);
    if (sw1(response.sw) !== 0x61) return response;
    const chunks = [response.data];
    let rounds = 0;
    while (sw1(response.sw) === 0x61) {
      if (rounds >= this.#maxGetResponse) {
        throw new CardError(
          'MALFORMED_RESPONSE',
          'the card kept answering 61xx beyond the GET RESPONSE cap',
          {
            sw: response.sw,
            details: { rounds },
          },
        );
      }
      rounds++;
      const getResponse: CommandApdu = {
        cla: 0x00,
        ins: 0xc0,
        p1: 0x00,
        p2: 0x00,
        le: sw2(response.sw) || 256,
      };
      const answer = await this.#send(encodeCommand(getResponse, 'short'));
      response = await this.#correctLe(getResponse, 'short', answer);
      chunks.push(response.data);
    }
    return { data: concat(chunks), sw: response.sw };
  }

  /** 6Cxx: the card tells the exact Le; re-send once with it. A second 6Cxx is a broken card. */
  async #correctLe(sent: CommandApdu, form: ApduForm, response: ResponseApdu): Promise<ResponseApdu> {
    if (sw1(response.sw) !== 0x6c) return response;
    const retry: CommandApdu = { ...sent, le: sw2(response.sw) || 256 };
    const again = await this.#send(encodeCommand(retry, needsExtended(retry) ? form : 'short'));
    if (sw1(again.sw) === 0x6c) {
      throw new CardError('MALFORMED_RESPONSE', 'the card answered 6Cxx twice for the same command', {
        sw: again.sw,
      });
    }
    return again;
  }

  /** One raw exchange with timeout and error normalisation. */
  async #send(apdu: Uint8Array): Promise<ResponseApdu> {
    this.stats.apdus++;
    // The async wrapper turns a synchronous throw from the transport into a rejection.
    const attempt = (async () => this.#connection.transmit(apdu))();
    // A transport that answers (or fails) after the timeout must not cause an unhandled rejection.
    attempt.catch(noop);
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        reject(
          new CardError('TIMEOUT', `the card did not answer within ${this.#timeoutMs} ms`, {
            details: { timeoutMs: this.#timeoutMs },
          }),
        );
      }, this.#timeoutMs);
    });
    let raw: Uint8Array;
    try {
      raw = await Promise.race([attempt, timeout]);
    } catch (error) {
      throw wrapTransportError(error);
    } finally {
      clearTimeout(timer);
    }
    return parseResponse(raw);
  }
}

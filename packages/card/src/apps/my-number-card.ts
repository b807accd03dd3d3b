import { hasErrorCode } from '../errors.js';
import type { CardConnection, Transport } from '../transport/transport.js';
import { AID, type ApplicationName } from './aids.js';
import { CardSession, type SessionOptions } from './card-session.js';
import { CardSurfaceApplication } from './card-surface-application.js';
import { relayUpdateScript, type UpdateScriptAnswer, type UpdateScriptInput } from './card-update.js';
import { InputSupportApplication } from './input-support-application.js';
import { JpkiApplication } from './jpki-application.js';
import { PIN_NAMES, type PinName, type PinStatus, readPinStatus } from './pins.js';

export type MyNumberCardOptions = SessionOptions;

/**
 * A My Number Card on a connection: its three applications behind one object.
 * Detection is by SELECT of the JPKI application, never by ATR (ATRs vary by reader and card generation).
 */
export class MyNumberCard {
  readonly jpki: JpkiApplication;
  readonly inputSupport: InputSupportApplication;
  readonly cardSurface: CardSurfaceApplication;

  private constructor(private readonly session: CardSession) {
    this.jpki = new JpkiApplication(session);
    this.inputSupport = new InputSupportApplication(session);
    this.cardSurface = new CardSurfaceApplication(session);
  }

  /** Wrap a connection; fails with NOT_A_MY_NUMBER_CARD when the card has no JPKI application. */
  static async connect(connection: CardConnection, options: MyNumberCardOptions = {}): Promise<MyNumberCard> {
    const session = new CardSession(connection, options);
    await session.selectApplication('jpki');
    return new MyNumberCard(session);
  }

  /** Open the card in `reader` (or the first reader holding a card) and check that it is a My Number Card. */
  static async open(
    transport: Transport,
    reader?: string,
    options: MyNumberCardOptions = {},
  ): Promise<MyNumberCard> {
    const connection = await transport.open(reader);
    try {
      return await MyNumberCard.connect(connection, options);
    } catch (error) {
      await connection.close().catch(() => undefined);
      throw error;
    }
  }

  get reader(): string {
    return this.session.connection.reader;
  }

  get atr(): Uint8Array {
    return this.session.connection.atr;
  }

  /** Raw APDUs exchanged on this card so far (GET RESPONSE and retries included). */
  get apduCount(): number {
    return this.session.channel.stats.apdus;
  }

  /** Whether the reader and card take extended-length APDUs (null until an APDU needed them). */
  get extendedLengthSupported(): boolean | null {
    return this.session.channel.extendedLengthSupported;
  }

  /** Which of the card's applications answer a SELECT (selecting clears verified PINs). */
  async applications(): Promise<Record<ApplicationName, boolean>> {
    const present = {} as Record<ApplicationName, boolean>;
    for (const name of Object.keys(AID) as ApplicationName[]) {
      try {
        await this.session.selectApplication(name, { force: true });
        present[name] = true;
      } catch (error) {
        if (!hasErrorCode(error, 'NOT_A_MY_NUMBER_CARD')) throw error;
        present[name] = false;
      }
    }
    return present;
  }

  /** Tries left of every PIN and verification number; empty VERIFYs consume nothing. */
  async pinStatuses(pins: readonly PinName[] = PIN_NAMES): Promise<PinStatus[]> {
    const statuses: PinStatus[] = [];
    for (const pin of pins) statuses.push(await readPinStatus(this.session, pin));
    return statuses;
  }

  /**
   * Relay a J-LIS update script (certificate renewal) to the JPKI application; returns the card's answers for the
   * server. Throws CardError UPDATE_SCRIPT_REJECTED (with the SW) at the first command the card refuses.
   */
  async relayUpdateScript(script: UpdateScriptInput): Promise<UpdateScriptAnswer[]> {
    return relayUpdateScript(this.session, script);
  }

  /** Reconnect after the card was pulled out and put back; all verified PINs are gone. */
  async reconnect(): Promise<void> {
    await this.session.reconnect();
  }

  async close(): Promise<void> {
    await this.session.close();
  }
}

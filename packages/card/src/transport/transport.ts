/**
 * The one small interface every way of reaching a card implements (PC/SC, in-memory, replay).
 * Modelled on Ledger's hw-transport: list / listen / open / transmit / close, one APDU in flight per card.
 */

export interface ReaderInfo {
  /** The reader name as the platform reports it, e.g. "Virtual PCD 00 00". */
  readonly name: string;
  /** True when a card is present in the reader. */
  readonly cardPresent: boolean;
  /** The ATR of the present card, when known. */
  readonly atr?: Uint8Array;
}

export type ReaderEvent =
  | { readonly type: 'reader-added'; readonly reader: string }
  | { readonly type: 'reader-removed'; readonly reader: string }
  | { readonly type: 'card-inserted'; readonly reader: string; readonly atr: Uint8Array }
  | { readonly type: 'card-removed'; readonly reader: string };

export interface ReaderObserver {
  next(event: ReaderEvent): void;
  error?(error: Error): void;
}

export type Unsubscribe = () => void;

export interface Transport {
  /** The readers present now. */
  list(): Promise<ReaderInfo[]>;
  /** Reader and card insertion/removal events until unsubscribed. */
  listen(observer: ReaderObserver): Unsubscribe;
  /** Connect to the card in `reader` (the first reader with a card when omitted). */
  open(reader?: string): Promise<CardConnection>;
  /** Release the transport's own resources (PC/SC context, timers). */
  close(): Promise<void>;
}

export interface CardConnection {
  readonly reader: string;
  readonly atr: Uint8Array;
  /**
   * Send one raw C-APDU and return the raw R-APDU (data followed by SW1 SW2).
   * Calls are serialized: a second call waits until the first has its answer.
   * Fails with CardError CARD_REMOVED when the card left the reader.
   */
  transmit(apdu: Uint8Array): Promise<Uint8Array>;
  /** Called once when the card is removed while connected. */
  onRemoved(listener: () => void): Unsubscribe;
  /** Reconnect after a removal and reinsertion (or after a reset); the card's state is fresh. */
  reconnect(): Promise<void>;
  close(): Promise<void>;
}

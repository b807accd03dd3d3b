/**
 * The part of the `pcsclite` 1.0.1 API mynakit uses, declared here because the module is loaded lazily
 * with require() (its own typings do not export the reader type). Also what a test double implements.
 */
export interface PcscLiteStatus {
  readonly state: number;
  readonly atr?: Uint8Array;
}

type Callback<T> = (error: unknown, value: T) => void;

export interface PcscLiteReader {
  readonly name: string;
  /** pcsclite's own flag; connect() silently does nothing while it is true. */
  connected: boolean;
  readonly SCARD_SHARE_SHARED: number;
  readonly SCARD_PROTOCOL_T0: number;
  readonly SCARD_PROTOCOL_T1: number;
  readonly SCARD_STATE_PRESENT: number;
  readonly SCARD_LEAVE_CARD: number;
  readonly SCARD_RESET_CARD: number;
  on(event: 'status', listener: (status: PcscLiteStatus) => void): unknown;
  on(event: 'end', listener: () => void): unknown;
  on(event: 'error', listener: (error: unknown) => void): unknown;
  connect(options: { share_mode: number; protocol: number }, callback: Callback<number>): void;
  disconnect(disposition: number, callback: (error: unknown) => void): void;
  transmit(data: Buffer, responseLength: number, protocol: number, callback: Callback<Buffer>): void;
  close(): void;
}

export interface PcscLite {
  on(event: 'reader', listener: (reader: PcscLiteReader) => void): unknown;
  on(event: 'error', listener: (error: unknown) => void): unknown;
  close(): void;
  /** Internal: pcsclite calls it on the next tick to start watching readers (see pcsc-transport.ts). */
  start?: (callback: (error: unknown, data: unknown) => void) => void;
}

export type PcscLiteFactory = () => PcscLite;

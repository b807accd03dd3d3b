/** A command APDU (ISO 7816-4), before encoding. */
export interface CommandApdu {
  readonly cla: number;
  readonly ins: number;
  readonly p1: number;
  readonly p2: number;
  /** Command data (Lc is derived from its length); absent for cases 1 and 2. */
  readonly data?: Uint8Array;
  /**
   * Expected response length Ne: 1..65536 (256 encodes as short `00`, 65536 as extended `00 00`);
   * absent for cases 1 and 3.
   */
  readonly le?: number;
}

/** A response APDU: the data field and the status word SW1SW2 as one number (e.g. 0x9000). */
export interface ResponseApdu {
  readonly data: Uint8Array;
  readonly sw: number;
}

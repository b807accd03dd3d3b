/**
 * What a software card offers to the in-memory transport and to the vpcd bridge:
 * the testkit's virtual My Number Card implements it, and so can an integrator's own fake.
 */
export interface CardEmulator {
  /** The ATR the card presents after power-on or reset. */
  readonly atr: Uint8Array;
  /** Cold start: the card is powered; selected application and verified states are cleared. */
  powerOn(): void;
  /** Power is cut: selected application and verified states are lost. */
  powerOff(): void;
  /** Warm reset: like powerOn, the card answers with its ATR again. */
  reset(): void;
  /** Process one raw C-APDU and return the raw R-APDU (data followed by SW1 SW2). */
  transmit(apdu: Uint8Array): Uint8Array | Promise<Uint8Array>;
}

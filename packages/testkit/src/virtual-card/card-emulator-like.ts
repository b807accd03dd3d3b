/**
 * Structural copy of `CardEmulator` from @mynakit/card (packages/card/src/transport/card-emulator.ts), which the
 * card package does not export yet. The lead will replace this with the card export; keep the two identical.
 */
export interface CardEmulatorLike {
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

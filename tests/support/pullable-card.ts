import type { CardEmulator } from '@mynakit/card';

/**
 * Wraps a software card so that a test can pull it out in the middle of a command: the chosen APDU reaches no
 * card and never gets an answer, and `onPull` takes the card out of its reader.
 */
export class PullableCard implements CardEmulator {
  onPull: () => void = () => undefined;
  private trigger: ((apdu: Uint8Array) => boolean) | null = null;

  constructor(readonly inner: CardEmulator) {}

  /** The next APDU for which `when` is true is the one the card is pulled out during. */
  pullWhen(when: (apdu: Uint8Array) => boolean): void {
    this.trigger = when;
  }

  get atr(): Uint8Array {
    return this.inner.atr;
  }
  powerOn(): void {
    this.inner.powerOn();
  }
  powerOff(): void {
    this.inner.powerOff();
  }
  reset(): void {
    this.inner.reset();
  }
  transmit(apdu: Uint8Array): Uint8Array | Promise<Uint8Array> {
    if (this.trigger?.(apdu)) {
      this.trigger = null;
      this.onPull();
      return new Promise<Uint8Array>(() => undefined);
    }
    return this.inner.transmit(apdu);
  }
}

/** True on the `n`th APDU (1-based) that `matches`, counting from now. */
export function nthApdu(n: number, matches: (apdu: Uint8Array) => boolean): (apdu: Uint8Array) => boolean {
  let seen = 0;
  return (apdu) => matches(apdu) && ++seen === n;
}

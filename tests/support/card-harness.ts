import { type CardEmulator, MemoryTransport, MyNumberCard, type MyNumberCardOptions } from '@mynakit/card';
import { PcscTransport } from '@mynakit/card/pcsc';
import {
  createVirtualCard,
  getPersona,
  type Persona,
  VirtualCardSlot,
  type VirtualMyNumberCard,
} from '@mynakit/testkit';

/** One virtual card reached through one transport, with the means to pull it out mid-command. */
export interface CardHarness {
  readonly card: MyNumberCard;
  readonly virtualCard: VirtualMyNumberCard;
  readonly persona: Persona;
  /** The card leaves the reader while the next READ BINARY is in flight (the card never answers it). */
  pullOutDuringNextRead(): void;
  /** Put the card back (its RAM state is gone: nothing selected, nothing verified). */
  reinsert(): Promise<void>;
  close(): Promise<void>;
}

export interface HarnessOptions {
  persona?: string;
  /** The virtual card's switch: false makes it answer every extended APDU with 67 00. */
  cardExtendedLength?: boolean;
  sdk?: MyNumberCardOptions;
}

export type HarnessFactory = (options?: HarnessOptions) => Promise<CardHarness>;

/**
 * Wraps the virtual card so that a test can make it vanish in the middle of a READ BINARY:
 * the command reaches the card, the answer never comes back.
 */
class PullableCard implements CardEmulator {
  armed = false;

  constructor(
    readonly inner: VirtualMyNumberCard,
    private readonly onPull: () => void,
  ) {}

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
    if (this.armed && apdu[1] === 0xb0) {
      this.armed = false;
      this.onPull();
      return new Promise<Uint8Array>(() => undefined);
    }
    return this.inner.transmit(apdu);
  }
}

export const memoryHarness: HarnessFactory = async (options = {}) => {
  const persona = getPersona(options.persona ?? 'taro');
  const virtualCard = await createVirtualCard({
    persona: persona.id,
    extendedLength: options.cardExtendedLength ?? true,
  });
  const reader = 'Memory Reader 0';
  const transport = new MemoryTransport([reader]);
  transport.insert(reader, virtualCard);
  const card = await MyNumberCard.open(transport, reader, options.sdk);
  return {
    card,
    virtualCard,
    persona,
    pullOutDuringNextRead: () => transport.removeDuringNextTransmit(reader, { when: 'before-card' }),
    reinsert: async () => transport.insert(reader, virtualCard),
    close: async () => {
      await card.close();
      await transport.close();
    },
  };
};

export const pcscHarness: HarnessFactory = async (options = {}) => {
  const persona = getPersona(options.persona ?? 'taro');
  const virtualCard = await createVirtualCard({
    persona: persona.id,
    extendedLength: options.cardExtendedLength ?? true,
  });
  let slot: VirtualCardSlot | undefined;
  const pullable = new PullableCard(virtualCard, () => void slot?.pullOut());
  slot = new VirtualCardSlot(pullable);
  await slot.insert();
  const transport = new PcscTransport();
  let card: MyNumberCard;
  try {
    card = await MyNumberCard.open(transport, slot.reader, options.sdk);
  } catch (error) {
    await transport.close();
    await slot.remove();
    throw error;
  }
  return {
    card,
    virtualCard,
    persona,
    pullOutDuringNextRead: () => {
      pullable.armed = true;
    },
    reinsert: () => slot.insert(),
    close: async () => {
      try {
        await card.close().catch(() => undefined);
        await transport.close();
      } finally {
        await slot.remove();
      }
    },
  };
};

import { MemoryTransport, MyNumberCard, type MyNumberCardOptions } from '@mynakit/card';
import { PcscTransport } from '@mynakit/card/pcsc';
import {
  createVirtualCard,
  getPersona,
  type Persona,
  VirtualCardSlot,
  type VirtualMyNumberCard,
} from '@mynakit/testkit';
import { PullableCard } from './pullable-card.js';

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
  const pullable = new PullableCard(virtualCard);
  const slot = new VirtualCardSlot(pullable);
  pullable.onPull = () => void slot.pullOut();
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
    pullOutDuringNextRead: () => pullable.pullWhen((apdu) => apdu[1] === 0xb0),
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

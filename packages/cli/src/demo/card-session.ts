import { MyNumberCard } from '@mynakit/card';
import { PcscTransport } from '@mynakit/card/pcsc';
import { VirtualCardSlot, type VirtualMyNumberCard } from '@mynakit/testkit';

/**
 * Puts a virtual card into pcscd's vpcd reader on `port`, opens it through PC/SC like a real card, runs `use`,
 * then pulls the card out again (also when `use` fails), so the next scenario finds the reader empty.
 */
export async function withCardInReader<T>(
  virtual: VirtualMyNumberCard,
  port: number,
  use: (card: MyNumberCard) => Promise<T>,
): Promise<T> {
  const slot = new VirtualCardSlot(virtual, { port });
  await slot.insert();
  const transport = new PcscTransport();
  try {
    const card = await MyNumberCard.open(transport, slot.reader);
    try {
      return await use(card);
    } finally {
      await card.close().catch(() => undefined);
    }
  } finally {
    await transport.close().catch(() => undefined);
    await slot.remove().catch(() => undefined);
  }
}

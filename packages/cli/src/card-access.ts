import { MyNumberCard, type MyNumberCardOptions } from '@mynakit/card';
import { PcscTransport } from '@mynakit/card/pcsc';

export interface CardCommandOptions {
  readonly reader?: string;
  readonly extended?: boolean;
}

/** Open the My Number Card in the named reader (or the first with a card), run `body`, always release PC/SC. */
export async function withCard<T>(
  options: CardCommandOptions,
  body: (card: MyNumberCard) => Promise<T>,
): Promise<T> {
  const transport = new PcscTransport();
  const cardOptions: MyNumberCardOptions = { extendedLength: options.extended === false ? 'off' : 'auto' };
  try {
    const card = await MyNumberCard.open(transport, options.reader, cardOptions);
    try {
      return await body(card);
    } finally {
      await card.close();
    }
  } finally {
    await transport.close();
  }
}

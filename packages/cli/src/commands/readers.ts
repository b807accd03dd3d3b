import { PcscTransport } from '@mynakit/card/pcsc';
import { emit, hex } from '../output.js';

export async function readersCommand(options: { json?: boolean }): Promise<void> {
  const transport = new PcscTransport();
  try {
    const readers = await transport.list();
    emit(
      options.json ?? false,
      readers.map((r) => ({ name: r.name, cardPresent: r.cardPresent, atr: r.atr ? hex(r.atr, '') : null })),
      (list) =>
        list.length === 0
          ? 'no readers'
          : list.map((r) => `${r.name}${r.cardPresent ? `  card ATR ${r.atr}` : '  (empty)'}`).join('\n'),
    );
  } finally {
    await transport.close();
  }
}

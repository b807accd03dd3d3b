import { PcscTransport } from '@mynakit/card/pcsc';
import { vpcdReaderName } from '@mynakit/testkit';
import { DemoError } from './errors.js';

const START_HINT = 'run scripts/start-pcscd.sh (it starts pcscd and waits for the vpcd readers)';

/**
 * Fails with a clear message before anything starts: pcscd must be up, list the vpcd reader of `port`, and that
 * reader must be free (another demo or test run may hold it).
 */
export async function assertVpcdReaderFree(port: number): Promise<string> {
  const reader = vpcdReaderName(port);
  const transport = new PcscTransport();
  try {
    let readers: Awaited<ReturnType<PcscTransport['list']>>;
    try {
      readers = await transport.list();
    } catch {
      throw new DemoError('PCSCD_UNAVAILABLE', `pcscd is not running or not reachable: ${START_HINT}`);
    }
    const found = readers.find((r) => r.name === reader);
    if (found === undefined) {
      throw new DemoError(
        'NO_READER',
        `pcscd has no reader "${reader}" (vpcd port ${port}); readers: ${readers.map((r) => r.name).join(', ') || 'none'}. Is vsmartcard-vpcd installed? ${START_HINT}`,
      );
    }
    if (found.cardPresent) {
      throw new DemoError(
        'READER_BUSY',
        `"${reader}" already holds a card: another virtual card is connected to vpcd port ${port}; stop it or pick another port with --port`,
      );
    }
    return reader;
  } finally {
    await transport.close();
  }
}

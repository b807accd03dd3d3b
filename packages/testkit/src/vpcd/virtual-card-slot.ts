import { CardError, type Transport } from '@mynakit/card';
import { PcscTransport } from '@mynakit/card/pcsc';
import { connectToVpcd, type VpcdBridge, type VpcdCardEmulator, type VpcdExchange } from './vpcd-bridge.js';

/** vpcd's first port: pcscd shows it as reader "Virtual PCD 00 00"; the next port is "… 00 01". */
export const VPCD_BASE_PORT = 35963;

export function vpcdReaderName(port: number): string {
  const index = port - VPCD_BASE_PORT;
  return `Virtual PCD 00 ${index.toString().padStart(2, '0')}`;
}

export interface VirtualCardSlotOptions {
  host?: string;
  port?: number;
  onApdu?: (exchange: VpcdExchange) => void;
  /** How long to wait for pcscd to notice an insertion or removal. Default 20 s. */
  timeoutMs?: number;
}

/**
 * A software card in one of pcscd's virtual readers. `insert()` connects it to vpcd and waits until pcscd
 * reports the card present; `remove()` disconnects it (the card is pulled out) and waits until pcscd agrees.
 */
export class VirtualCardSlot {
  readonly reader: string;
  private bridge: VpcdBridge | null = null;
  private readonly port: number;

  constructor(
    readonly card: VpcdCardEmulator,
    private readonly options: VirtualCardSlotOptions = {},
  ) {
    this.port = options.port ?? VPCD_BASE_PORT;
    this.reader = vpcdReaderName(this.port);
  }

  get inserted(): boolean {
    return this.bridge !== null;
  }

  async insert(): Promise<void> {
    if (this.bridge) return;
    await this.waitForPresence(false);
    this.bridge = await connectToVpcd(this.card, {
      port: this.port,
      ...(this.options.host !== undefined && { host: this.options.host }),
      ...(this.options.onApdu !== undefined && { onApdu: this.options.onApdu }),
    });
    await this.waitForPresence(true);
  }

  async remove(): Promise<void> {
    const bridge = this.bridge;
    if (!bridge) return;
    this.bridge = null;
    await bridge.close();
    await this.waitForPresence(false);
  }

  /** Remove without waiting for pcscd, e.g. from inside an APDU exchange to simulate a pull mid-command. */
  pullOut(): Promise<void> {
    const bridge = this.bridge;
    this.bridge = null;
    return bridge ? bridge.close() : Promise.resolve();
  }

  private async waitForPresence(present: boolean): Promise<void> {
    const transport: Transport = new PcscTransport();
    const deadline = Date.now() + (this.options.timeoutMs ?? 20_000);
    try {
      for (;;) {
        const readers = await transport.list();
        const reader = readers.find((r) => r.name === this.reader);
        if (!reader) {
          throw new CardError(
            'NO_READER',
            `pcscd has no reader "${this.reader}": is vsmartcard-vpcd installed?`,
          );
        }
        if (reader.cardPresent === present) return;
        if (Date.now() > deadline) {
          throw new CardError(
            'TIMEOUT',
            present
              ? `pcscd did not see the virtual card in "${this.reader}"`
              : `"${this.reader}" is occupied: another virtual card is connected to vpcd port ${this.port}`,
          );
        }
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    } finally {
      await transport.close();
    }
  }
}

import type { CardConnection } from '../../src/transport/transport.js';

/**
 * A deliberately small card for the application-layer unit tests: SELECT, READ BINARY over byte arrays,
 * VERIFY with counters, and a fixed-signature COMPUTE DIGITAL SIGNATURE. The full emulator lives in the testkit.
 */
export interface FakeFile {
  content: Uint8Array;
  /** A PIN EF's value, when the file is a PIN. */
  pin?: string;
  tries?: number;
  /** The PIN EF that must be verified before reading this file. */
  protectedBy?: number;
}

export interface FakeCardOptions {
  applications: Record<string, Record<number, FakeFile>>;
  extendedLength?: boolean;
}

const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex').toUpperCase();

export class FakeCard {
  readonly log: string[] = [];
  private app: Record<number, FakeFile> | null = null;
  private file: number | null = null;
  private verified = new Set<number>();

  constructor(private readonly options: FakeCardOptions) {}

  connection(): CardConnection {
    return {
      reader: 'fake reader',
      atr: Uint8Array.of(0x3b, 0xe0),
      transmit: async (apdu) => this.transmit(apdu),
      onRemoved: () => () => undefined,
      reconnect: async () => undefined,
      close: async () => undefined,
    };
  }

  private transmit(apdu: Uint8Array): Uint8Array {
    this.log.push(hex(apdu));
    const [cla, ins, p1, p2] = apdu;
    const extended = apdu.length > 5 && apdu[4] === 0 && ins !== 0x20 && ins !== 0xa4;
    if (extended && this.options.extendedLength === false) return sw(0x6700);
    if (cla === 0x00 && ins === 0xa4 && p1 === 0x04) {
      const aid = hex(apdu.subarray(5, 5 + apdu[4]!));
      const app = this.options.applications[aid];
      if (!app) return sw(0x6a82);
      this.app = app;
      this.file = null;
      this.verified.clear();
      return sw(0x9000);
    }
    if (cla === 0x00 && ins === 0xa4 && p1 === 0x02) {
      const fid = (apdu[5]! << 8) | apdu[6]!;
      if (!this.app?.[fid]) return sw(0x6a82);
      this.file = fid;
      return sw(0x9000);
    }
    const file = this.file === null ? undefined : this.app?.[this.file];
    if (ins === 0xb0) {
      if (!file) return sw(0x6986);
      if (file.protectedBy !== undefined && !this.verified.has(file.protectedBy)) return sw(0x6982);
      const offset = (p1! << 8) | p2!;
      const le = extended ? (apdu[5]! << 8) | apdu[6]! || 65536 : apdu[4]! || 256;
      if (offset >= file.content.length) return sw(0x6b00);
      const data = file.content.subarray(offset, offset + le);
      return withSw(data, offset + le > file.content.length ? 0x6282 : 0x9000);
    }
    if (ins === 0x20) {
      if (!file || file.pin === undefined || this.file === null) return sw(0x6986);
      const tries = file.tries ?? 3;
      if (apdu.length === 4) return sw(0x63c0 | tries);
      if (tries === 0) return sw(0x6984);
      const given = new TextDecoder().decode(apdu.subarray(5, 5 + apdu[4]!));
      if (given === file.pin) {
        file.tries = 3;
        this.verified.add(this.file);
        return sw(0x9000);
      }
      file.tries = tries - 1;
      return sw(0x63c0 | file.tries);
    }
    if (cla === 0x80 && ins === 0x2a) {
      if (file?.protectedBy !== undefined && !this.verified.has(file.protectedBy)) return sw(0x6982);
      return withSw(new Uint8Array(256).fill(0x5a), 0x9000);
    }
    return sw(0x6d00);
  }
}

function sw(value: number): Uint8Array {
  return Uint8Array.of(value >> 8, value & 0xff);
}

function withSw(data: Uint8Array, value: number): Uint8Array {
  const out = new Uint8Array(data.length + 2);
  out.set(data);
  out[data.length] = value >> 8;
  out[data.length + 1] = value & 0xff;
  return out;
}

/** A DER SEQUENCE of `length` content bytes, padded with FF to `size` like a fixed-size EF. */
export function derObject(length: number, size = 2048, fill = 0x11): Uint8Array {
  const out = new Uint8Array(size).fill(0xff);
  out.set([0x30, 0x82, length >> 8, length & 0xff], 0);
  out.fill(fill, 4, 4 + length);
  return out;
}

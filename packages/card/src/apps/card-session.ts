import { ApduChannel, type ApduChannelOptions } from '../apdu/channel.js';
import { errorForStatus } from '../apdu/status-words.js';
import type { CommandApdu, ResponseApdu } from '../apdu/types.js';
import { CardError, hasErrorCode } from '../errors.js';
import { tlvTotalLength } from '../tlv.js';
import type { CardConnection, Unsubscribe } from '../transport/transport.js';
import { AID, type ApplicationName } from './aids.js';

const SW_OK = 0x9000;
/** "End of file reached before reading Le bytes": the data that came is valid. */
const SW_END_OF_FILE = 0x6282;
const SW_WRONG_OFFSET = 0x6b00;
/** Max offset READ BINARY can address with P1-P2 (15 bits; the top bit selects SFI addressing). */
const MAX_OFFSET = 0x7fff;

export type SessionOptions = ApduChannelOptions;

/**
 * One conversation with one card: the APDU channel plus what is selected, so that the applications
 * skip SELECTs that would change nothing. A SELECT of an application clears the card's verified PINs,
 * so re-selecting the current one is avoided on purpose.
 *
 * When the card is pulled out, the next command first reconnects (the card starts fresh: nothing selected,
 * nothing verified) so that an application can carry on after reinsertion without rebuilding its objects.
 */
export class CardSession {
  readonly channel: ApduChannel;
  private selectedApplication: ApplicationName | null = null;
  private selectedFile: number | null = null;
  private needsReconnect = false;
  private readonly unsubscribeRemoval: Unsubscribe;

  constructor(
    readonly connection: CardConnection,
    options: SessionOptions = {},
  ) {
    this.channel = new ApduChannel(connection, options);
    this.unsubscribeRemoval = connection.onRemoved(() => this.forgetCardState(true));
  }

  get currentApplication(): ApplicationName | null {
    return this.selectedApplication;
  }

  /** Send a command, reconnecting first if the card was removed and reinserted since the last one. */
  async transmit(command: CommandApdu): Promise<ResponseApdu> {
    if (this.needsReconnect) {
      await this.connection.reconnect();
      this.needsReconnect = false;
    }
    try {
      return await this.channel.transmit(command);
    } catch (error) {
      if (hasErrorCode(error, 'CARD_REMOVED')) this.forgetCardState(true);
      throw error;
    }
  }

  /** SELECT an application by AID unless it is already selected (re-selecting would clear verified PINs). */
  async selectApplication(name: ApplicationName, options: { force?: boolean } = {}): Promise<void> {
    if (this.selectedApplication === name && !options.force) return;
    this.selectedApplication = null;
    this.selectedFile = null;
    const response = await this.transmit({ cla: 0x00, ins: 0xa4, p1: 0x04, p2: 0x0c, data: AID[name] });
    if (response.sw !== SW_OK) {
      if (response.sw === 0x6a82) {
        throw new CardError('NOT_A_MY_NUMBER_CARD', `the card has no ${name} application`, {
          sw: response.sw,
          details: { application: name },
        });
      }
      throw errorForStatus(response.sw, `SELECT ${name}`);
    }
    this.selectedApplication = name;
  }

  /** SELECT an elementary file of the current application by its FID. */
  async selectFile(fid: number): Promise<void> {
    if (this.selectedFile === fid) return;
    this.selectedFile = null;
    const response = await this.transmit({
      cla: 0x00,
      ins: 0xa4,
      p1: 0x02,
      p2: 0x0c,
      data: Uint8Array.of(fid >> 8, fid & 0xff),
    });
    if (response.sw !== SW_OK) throw errorForStatus(response.sw, `SELECT EF ${fidHex(fid)}`);
    this.selectedFile = fid;
  }

  /**
   * READ BINARY of the selected EF. Returns fewer bytes than asked when the EF ends (`62 82`),
   * or when the reader cannot take extended length (the channel then asks for 256).
   */
  async readBinary(offset: number, length: number): Promise<Uint8Array> {
    if (offset > MAX_OFFSET) {
      throw new CardError('INVALID_INPUT', `READ BINARY offset ${offset} is beyond what P1-P2 can address`);
    }
    const response = await this.transmit({
      cla: 0x00,
      ins: 0xb0,
      p1: offset >> 8,
      p2: offset & 0xff,
      le: Math.min(length, 65536),
    });
    if (response.sw === SW_OK || response.sw === SW_END_OF_FILE) return response.data;
    if (response.sw === SW_WRONG_OFFSET) return new Uint8Array(0);
    throw errorForStatus(response.sw, `READ BINARY at ${offset}`);
  }

  /**
   * Read a whole TLV- or DER-encoded EF with as few APDUs as the channel allows: one extended READ BINARY
   * (Le 65536) when the reader takes it, else 256-byte reads. The object's own length header says where it
   * ends, so the 0xFF padding of fixed-size EFs is never returned. Returns null when the EF is empty (all FF).
   */
  async readTlvFile(fid: number): Promise<Uint8Array | null> {
    await this.selectFile(fid);
    const wantsExtended = this.channel.extendedLengthSupported !== false;
    let content = await this.readBinary(0, wantsExtended ? 65536 : 256);
    // An unused fixed-size EF is all padding (FF, or 00 on some cards). `FF 20 …` is data, so look at every byte.
    if (content.every((b) => b === 0xff) || content.every((b) => b === 0x00)) return null;
    let total = tlvTotalLength(content);
    while (total === null || content.length < total) {
      const missing = total === null ? 256 : total - content.length;
      const chunk = await this.readBinary(content.length, missing);
      if (chunk.length === 0) {
        throw new CardError('MALFORMED_RESPONSE', `EF ${fidHex(fid)} ended before its declared length`, {
          details: { declaredLength: total ?? -1, received: content.length },
        });
      }
      content = concat(content, chunk);
      if (total === null) total = tlvTotalLength(content);
    }
    return content.subarray(0, total);
  }

  /** Read `length` bytes from the start of the selected EF (for short fixed-length files such as the token). */
  async readFixed(fid: number, length: number): Promise<Uint8Array> {
    await this.selectFile(fid);
    let content: Uint8Array = new Uint8Array(0);
    while (content.length < length) {
      const chunk = await this.readBinary(content.length, length - content.length);
      if (chunk.length === 0) break;
      content = concat(content, chunk);
    }
    return content.subarray(0, length);
  }

  /** Forget what is selected, e.g. after a removal or when the caller reset the card. */
  forgetCardState(reconnectBeforeNextCommand = false): void {
    this.selectedApplication = null;
    this.selectedFile = null;
    if (reconnectBeforeNextCommand) this.needsReconnect = true;
  }

  /** Reconnect now (after a removal and reinsertion). */
  async reconnect(): Promise<void> {
    this.forgetCardState();
    await this.connection.reconnect();
    this.needsReconnect = false;
  }

  async close(): Promise<void> {
    this.unsubscribeRemoval();
    await this.connection.close();
  }
}

export function fidHex(fid: number): string {
  return fid.toString(16).toUpperCase().padStart(4, '0');
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a, 0);
  out.set(b, a.length);
  return out;
}

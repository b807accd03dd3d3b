import { CardError } from '../errors.js';
import { bytesToHex } from './hex.js';
import { isSecretCommand, REDACTED_PERSONAL_DATA, REDACTED_PIN } from './redactor.js';

/**
 * The transcript format, version 1. A transcript is plain text, one exchange per pair of lines:
 *
 *     # mynakit transcript v1
 *     # reader: Virtual PCD 00 00
 *     # atr: 3BE000FF8131FE4514
 *     => 00A4040C0AD392F000260100000001
 *     <= 9000
 *     => 00200080 [redacted pin]
 *     <= 9000
 *     => 00B08100*
 *     <= [redacted personal data] 9000
 *
 * Hex may contain spaces. In commands, `..` matches any one byte and a trailing `*` any remaining bytes
 * (host-side randomness such as nonces or digests of time-stamped data). Responses are always literal:
 * the replayer answers with exactly the recorded bytes, so a replay is deterministic; randomness the card
 * produced was real when recorded and is replayed as it was. `[redacted pin]` after a command header
 * matches any command with that header that carries data (a VERIFY to the same reference);
 * `[redacted personal data]` in a response means the data was never written down, so it cannot be replayed.
 * Lines starting with `#` are comments; `# reader:` and `# atr:` in the header describe the card.
 */
export const TRANSCRIPT_HEADER = '# mynakit transcript v1';

export interface TranscriptHeader {
  readonly reader?: string;
  readonly atr?: Uint8Array;
}

export interface CommandPattern {
  /** The command as written in the transcript, for messages. */
  readonly text: string;
  /** Bytes to match from the start; `undefined` is a `..` wildcard. */
  readonly bytes: readonly (number | undefined)[];
  /** Trailing `*`: any number of further bytes. */
  readonly rest: boolean;
  /** The command's data was redacted: match any command with these leading bytes that has a body. */
  readonly redacted: boolean;
}

export interface ResponseLine {
  /** 1-based line number of the response. */
  readonly line: number;
  readonly text: string;
  /** The full R-APDU (data and SW), or undefined when its data was redacted. */
  readonly bytes?: Uint8Array;
  readonly sw: number;
}

export interface TranscriptExchange {
  /** 1-based line number of the command. */
  readonly line: number;
  readonly command: CommandPattern;
  readonly response: ResponseLine;
}

export interface Transcript {
  readonly header: TranscriptHeader;
  readonly exchanges: readonly TranscriptExchange[];
}

export function formatTranscriptHeader(header: { reader: string; atr: Uint8Array }): string[] {
  return [TRANSCRIPT_HEADER, `# reader: ${singleLine(header.reader)}`, `# atr: ${bytesToHex(header.atr)}`];
}

/** Comment text on one line, so a note can never forge an exchange line. */
export function singleLine(text: string): string {
  return text.replace(/[\r\n]+/g, ' ');
}

export function parseTranscript(text: string): Transcript {
  let reader: string | undefined;
  let atr: Uint8Array | undefined;
  const exchanges: TranscriptExchange[] = [];
  let pending: { line: number; command: CommandPattern } | undefined;
  const lines = text.split(/\r?\n/);
  lines.forEach((raw, index) => {
    const lineNo = index + 1;
    const line = raw.trim();
    if (line === '') return;
    if (line.startsWith('#')) {
      const version = /^#\s*mynakit transcript v(\d+)\s*$/.exec(line);
      if (version && version[1] !== '1') {
        throw invalid(lineNo, `unsupported transcript version ${version[1]}`);
      }
      const field = /^#\s*(reader|atr):\s*(.*)$/.exec(line);
      if (field && exchanges.length === 0 && pending === undefined) {
        if (field[1] === 'reader') reader = field[2]!.trim();
        else atr = parseHex(field[2]!, lineNo);
      }
      return;
    }
    if (line.startsWith('=>')) {
      if (pending !== undefined) throw invalid(lineNo, 'a command must be followed by its response');
      pending = { line: lineNo, command: parseCommand(line.slice(2).trim(), lineNo) };
      return;
    }
    if (line.startsWith('<=')) {
      if (pending === undefined) throw invalid(lineNo, 'a response must follow a command');
      exchanges.push({ ...pending, response: parseResponse(line.slice(2).trim(), lineNo) });
      pending = undefined;
      return;
    }
    throw invalid(lineNo, 'expected "=>", "<=" or a "#" comment');
  });
  if (pending !== undefined) throw invalid(pending.line, 'the last command has no response');
  return {
    header: { ...(reader !== undefined && { reader }), ...(atr !== undefined && { atr }) },
    exchanges,
  };
}

/** Whether a command sent by the host matches a transcript command. */
export function matchCommand(pattern: CommandPattern, apdu: Uint8Array): boolean {
  const { bytes } = pattern;
  if (pattern.redacted) {
    if (apdu.length <= bytes.length) return false;
  } else if (pattern.rest ? apdu.length < bytes.length : apdu.length !== bytes.length) {
    return false;
  }
  return bytes.every((expected, i) => expected === undefined || expected === apdu[i]);
}

/**
 * A transcript command in a form safe for error messages: a hand-written transcript may hold a raw PIN
 * in a VERIFY, which must not travel further in an error.
 */
export function describePattern(pattern: CommandPattern): string {
  const header = pattern.bytes.slice(0, 4);
  const headerKnown = header.length === 4 && header.every((b) => b !== undefined);
  if (!pattern.redacted && headerKnown && isSecretCommand(Uint8Array.from(header as number[]))) {
    const headerText = bytesToHex(Uint8Array.from(header as number[]));
    return pattern.bytes.length > 4 || pattern.rest ? `${headerText} ${REDACTED_PIN}` : headerText;
  }
  if (!headerKnown && pattern.bytes.length > 4) return `${patternToText(header, false)}… (unchecked command)`;
  return pattern.text;
}

function parseCommand(text: string, lineNo: number): CommandPattern {
  let body = text;
  let redacted = false;
  for (const marker of [REDACTED_PIN, REDACTED_PERSONAL_DATA]) {
    if (body.endsWith(marker)) {
      body = body.slice(0, -marker.length);
      redacted = true;
      break;
    }
  }
  let compact = body.replace(/\s+/g, '');
  const rest = compact.endsWith('*');
  if (rest) compact = compact.slice(0, -1);
  if (redacted && rest) throw invalid(lineNo, 'a redacted command cannot also end with "*"');
  if (compact.length % 2 !== 0) throw invalid(lineNo, 'odd number of hex digits');
  const bytes: (number | undefined)[] = [];
  for (let i = 0; i < compact.length; i += 2) {
    const pair = compact.slice(i, i + 2);
    if (pair === '..') bytes.push(undefined);
    else if (/^[0-9a-fA-F]{2}$/.test(pair)) bytes.push(Number.parseInt(pair, 16));
    else throw invalid(lineNo, `not hex at byte ${i / 2}`);
  }
  if (redacted && bytes.length < 4) throw invalid(lineNo, 'a redacted command needs its 4-byte header');
  if (bytes.length === 0 && !rest) throw invalid(lineNo, 'empty command');
  const normal = patternToText(bytes, rest);
  return { text: redacted ? `${normal} ${text.slice(body.length)}` : normal, bytes, rest, redacted };
}

function patternToText(bytes: readonly (number | undefined)[], rest: boolean): string {
  const hex = bytes.map((b) => (b === undefined ? '..' : b.toString(16).toUpperCase().padStart(2, '0')));
  return hex.join('') + (rest ? '*' : '');
}

function parseResponse(text: string, lineNo: number): ResponseLine {
  if (text.startsWith(REDACTED_PERSONAL_DATA)) {
    const sw = parseHex(text.slice(REDACTED_PERSONAL_DATA.length), lineNo);
    if (sw.length !== 2) throw invalid(lineNo, 'a redacted response must end with its 2-byte status word');
    return { line: lineNo, text, sw: (sw[0]! << 8) | sw[1]! };
  }
  if (text.includes('..') || text.includes('*')) {
    throw invalid(lineNo, 'wildcards are only allowed in commands; responses are replayed byte for byte');
  }
  const bytes = parseHex(text, lineNo);
  if (bytes.length < 2) throw invalid(lineNo, 'a response needs at least the 2-byte status word');
  return { line: lineNo, text, bytes, sw: (bytes[bytes.length - 2]! << 8) | bytes[bytes.length - 1]! };
}

function parseHex(text: string, lineNo: number): Uint8Array {
  const compact = text.replace(/\s+/g, '');
  if (!/^([0-9a-fA-F]{2})*$/.test(compact)) throw invalid(lineNo, 'not hex');
  const out = new Uint8Array(compact.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = Number.parseInt(compact.slice(2 * i, 2 * i + 2), 16);
  return out;
}

function invalid(line: number, message: string): CardError {
  return new CardError('INVALID_INPUT', `transcript line ${line}: ${message}`, { details: { line } });
}

export { ApduChannel, type ApduChannelOptions } from './channel.js';
export {
  type ApduCase,
  type ApduForm,
  CLA_CHAINING,
  chainCommand,
  commandCase,
  EXTENDED_MAX_LC,
  EXTENDED_MAX_LE,
  encodeCommand,
  needsExtended,
  SHORT_MAX_LC,
  SHORT_MAX_LE,
  validateCommand,
} from './command.js';
export { encodeResponse, isOk, parseResponse, SW_OK, sw1, sw2 } from './response.js';
export {
  describeStatus,
  errorForStatus,
  expectOk,
  lookupStatus,
  type StatusWordEntry,
  statusWords,
} from './status-words.js';
export type { CommandApdu, ResponseApdu } from './types.js';

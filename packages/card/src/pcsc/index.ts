export {
  cardErrorCodeForScard,
  parseScardCode,
  pcscErrorToCardError,
  SCARD,
  scardCodeName,
} from './pcsc-errors.js';
export type { PcscTransportOptions } from './pcsc-transport.js';
export { PcscTransport } from './pcsc-transport.js';
export type { PcscLite, PcscLiteFactory, PcscLiteReader, PcscLiteStatus } from './pcsclite-types.js';

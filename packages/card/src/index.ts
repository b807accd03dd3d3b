// @mynakit/card: browser-safe entry. PC/SC lives at `@mynakit/card/pcsc` so that native code loads only when asked for.
export * from './apdu/index.js';
export * from './apps/index.js';
export {
  type HashAlgorithm,
  hashAlgorithms,
  hashLength,
  hashToDigestInfo,
  unwrapDigestInfo,
  wrapDigestInfo,
} from './digest-info.js';
export {
  CardError,
  type CardErrorCode,
  cardErrorCodes,
  type ErrorDetails,
  hasErrorCode,
  isCardErrorCode,
  MynakitError,
  type MynakitErrorOptions,
  type SerializedError,
} from './errors.js';
export {
  authPinSchema,
  encodeAuthPin,
  encodeInputSupportPin,
  encodeSignPassword,
  encodeVerificationNumberA,
  encodeVerificationNumberB,
  inputSupportPinSchema,
  signPasswordSchema,
  verificationNumberASchema,
  verificationNumberBSchema,
} from './inputs.js';
export { isValidMyNumber, myNumberCheckDigit } from './my-number.js';
export { encodeTlv, findTlv, type ParseTlvOptions, parseTlvs, type Tlv, tlvTotalLength } from './tlv.js';
export * from './transport/index.js';

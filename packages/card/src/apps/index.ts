export { AID, type ApplicationName, CARD_SURFACE_EF, INPUT_SUPPORT_EF, JPKI_EF } from './aids.js';
export { type BasicFour, type CardSexCode, parseBasicFour } from './basic-four.js';
export { CardSession, type SessionOptions } from './card-session.js';
export { type CardBack, type CardFront, CardSurfaceApplication } from './card-surface-application.js';
export { relayUpdateScript, type UpdateScriptAnswer, type UpdateScriptInput } from './card-update.js';
export { InputSupportApplication, type IntegrityData } from './input-support-application.js';
export {
  JpkiApplication,
  type JpkiCardSigner,
  type JpkiCertificateName,
  type JpkiKey,
  type JpkiToken,
  type TokenKind,
} from './jpki-application.js';
export { MyNumberCard, type MyNumberCardOptions } from './my-number-card.js';
export {
  DEFAULT_LOCK_FLOOR,
  type LockGuardOptions,
  PIN_NAMES,
  PIN_REFERENCES,
  type PinName,
  type PinStatus,
} from './pins.js';
export { type MyNumber, Sensitive } from './sensitive.js';

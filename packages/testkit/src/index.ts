// @mynakit/testkit: a virtual My Number Card, the JPKI test CAs and personas. Node only.

export {
  DEFAULT_ISSUED_AT,
  type IssuedCertificate,
  issueAuthCertificate,
  issueSigningCertificate,
  jpkiOids,
} from './ca/ee-certificates.js';
export {
  createJpkiTestCas,
  DEFAULT_CA_GENERATION,
  type JpkiCaType,
  type JpkiHierarchy,
  JpkiTestCa,
  type JpkiTestCaOptions,
  type JpkiTestCaPair,
} from './ca/jpki-ca.js';
export {
  issuePersonaCertificates,
  issuePersonaSigningCertificate,
  type PersonaCertificateKeys,
  type PersonaCertificates,
} from './ca/persona-certificates.js';
export * from './jlis/index.js';
export * from './mock-servers/index.js';
export { collationNumberA, collationNumberB } from './personas/collation-numbers.js';
export { FACE_HEIGHT, FACE_WIDTH, syntheticFacePhoto } from './personas/face-photo.js';
export {
  certificateSexCode,
  type Persona,
  type PersonaInput,
  personaSchema,
} from './personas/persona-schema.js';
export { getPersona, listPersonas, personaIds } from './personas/personas.js';
export { CONTACT_ATR, CONTACTLESS_ATR } from './virtual-card/aids.js';
export { type CardState, cardStateSchema } from './virtual-card/card-state.js';
export { type CreateVirtualCardOptions, createVirtualCard } from './virtual-card/create-virtual-card.js';
export {
  loadState,
  saveState,
  type VirtualCardRuntimeOptions,
  VirtualMyNumberCard,
} from './virtual-card/virtual-my-number-card.js';
export * from './vpcd/index.js';

import { DEFAULT_ISSUED_AT } from '../ca/ee-certificates.js';
import { createJpkiTestCas, type JpkiTestCaPair } from '../ca/jpki-ca.js';
import { issuePersonaCertificates } from '../ca/persona-certificates.js';
import { testKeyOrFresh } from '../ca/test-keys.js';
import { personaFacePhoto } from '../personas/persona-face.js';
import { type Persona, personaSchema } from '../personas/persona-schema.js';
import { getPersona } from '../personas/personas.js';
import { buildCardState } from './build-card-state.js';
import { cardOptionsSchema } from './card-state.js';
import { bytesToHex } from './tlv.js';
import { type VirtualCardRuntimeOptions, VirtualMyNumberCard } from './virtual-my-number-card.js';

export interface CreateVirtualCardOptions extends VirtualCardRuntimeOptions {
  /** A built-in persona id (`taro`, `hanako`, …) or a full persona. */
  persona: string | Persona;
  /** The issuing roots; default the production-like pair of the default generation. */
  ca?: JpkiTestCaPair;
  /** Certificate issuance instant; default 2025-10-27T01:00:00Z so that output is deterministic. */
  now?: Date;
  /** JPEG 2000 (JP2) face photo; default a synthetic portrait for the persona. */
  facePhoto?: Uint8Array;
  /** PKCS#8 overrides for the card's JPKI keys; default the fixture keys `persona.<id>.auth|sign`. */
  keys?: { auth?: Uint8Array; sign?: Uint8Array };
  /** Padding after `JPKIAPICCTOKEN2` in EF 0006 (sources disagree); default spaces. */
  tokenPadding?: 'space' | 'nul';
}

/**
 * Issues a persona's certificates from the test CAs and builds its virtual card. Deterministic for the built-in
 * personas and default options (fixture keys, fixed issuance time, synthetic photo).
 */
export async function createVirtualCard(options: CreateVirtualCardOptions): Promise<VirtualMyNumberCard> {
  const persona =
    typeof options.persona === 'string' ? getPersona(options.persona) : personaSchema.parse(options.persona);
  const ca = options.ca ?? (await createJpkiTestCas());
  const issuedAt = options.now ?? DEFAULT_ISSUED_AT;
  const authKey = options.keys?.auth ?? testKeyOrFresh(`persona.${persona.id}.auth`);
  const signKey = persona.jpki.signingCertificate
    ? (options.keys?.sign ?? testKeyOrFresh(`persona.${persona.id}.sign`))
    : null;
  const [{ auth, sign }, facePhoto] = await Promise.all([
    issuePersonaCertificates(ca, persona, { auth: authKey, sign: signKey }, issuedAt),
    options.facePhoto ? Promise.resolve(options.facePhoto) : personaFacePhoto(persona),
  ]);

  const state = buildCardState({
    persona,
    options: cardOptionsSchema.parse({
      ...(options.extendedLength !== undefined && { extendedLength: options.extendedLength }),
      ...(options.atr !== undefined && { atr: bytesToHex(options.atr) }),
      ...(options.getResponseChunk !== undefined && { getResponseChunk: options.getResponseChunk }),
      ...(options.blockedSw !== undefined && { blockedSw: options.blockedSw }),
    }),
    certificates: { sign: sign?.der ?? null, signCa: ca.sign.der, auth: auth.der, authCa: ca.auth.der },
    keys: {
      auth: authKey,
      sign: signKey,
      textIssuer: testKeyOrFresh('card.text-ap.issuer'),
      textCvca: testKeyOrFresh('card.text-ap.cvca'),
      visualIssuer: testKeyOrFresh('card.visual-ap.issuer'),
    },
    facePhoto,
    tokenPadding: options.tokenPadding ?? 'space',
  });
  const card = new VirtualMyNumberCard(
    state,
    options.stateFile === undefined ? {} : { stateFile: options.stateFile },
  );
  if (options.stateFile) card.commit();
  return card;
}

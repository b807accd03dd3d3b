import { generateKeyPair, randomBytes, X509Certificate } from 'node:crypto';
import { promisify } from 'node:util';
import { z } from 'zod';
import type { IssuedCertificate } from '../ca/ee-certificates.js';
import type { JpkiTestCa, JpkiTestCaPair } from '../ca/jpki-ca.js';
import { issuePersonaCertificates } from '../ca/persona-certificates.js';
import type { Persona } from '../personas/persona-schema.js';
import { concatBytes } from '../virtual-card/tlv.js';
import {
  normalizeSerialHex,
  type RevocationCaKey,
  type RevocationRegistries,
} from './revocation-registry.js';
import {
  activationReceipt,
  CARD_ID_LENGTH,
  chunkPayloads,
  deriveCardUpdateKey,
  encodeUpdateCommand,
  equalConstantTime,
  RECEIPT_LENGTH,
  SCRIPT_ID_LENGTH,
  TEST_ISSUER_MASTER_KEY,
  UPDATE_INS,
  UPDATE_SW,
  UPDATE_TARGET_P1,
  type UpdateTarget,
  u16,
  wrapPrivateKey,
} from './update-protocol.js';

/*
 * The mock J-LIS side of W1 (証明書更新): issue new keys and certificates for a card and package them as an update
 * script that only that card can verify and decrypt. The booth relays the script; the old certificates are revoked
 * as `superseded` only once the card's authenticated activation receipt comes back (confirmActivation).
 */

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex').toUpperCase();
const hexString = (bytes: number) => z.string().regex(new RegExp(`^[0-9a-fA-F]{${bytes * 2}}$`));

export const renewCertificatesInputSchema = z.object({
  /** Hex card id (8 bytes) the script is addressed to (J-LIS knows it from its issuance records). */
  cardId: hexString(CARD_ID_LENGTH),
  /** Counter of this script; must exceed the last one the card applied (J-LIS keeps it per card). */
  scriptCounter: z.number().int().min(1).max(0xffffffff),
  /** Issuance instant of the new certificates, and the time of the revocations. */
  now: z.date().refine((d) => !Number.isNaN(d.getTime()), 'invalid date'),
});

export interface RenewCertificatesInput {
  /** Roots issuing the new certificates. */
  cas: JpkiTestCaPair;
  /** Roots that issued the current certificates; default `cas`. */
  previousCas?: JpkiTestCaPair;
  registries: RevocationRegistries;
  persona: Persona;
  /** The card's current certificates (DER), as the booth read them in the renewal application. */
  current: { auth: Uint8Array; sign: Uint8Array | null };
  cardId: string;
  scriptCounter: number;
  now: Date;
  /** Issuer master key the per-card update key is diversified from; default the test master key. */
  issuerMasterKey?: Uint8Array;
  /** PKCS#8 keys to install instead of fresh RSA-2048 ones (deterministic tests). */
  keys?: { auth?: Uint8Array; sign?: Uint8Array };
  /** Where to record the old→new serial link. */
  ledger?: RenewalLedger;
}

/** What the booth receives: opaque, authenticated APDUs plus enough metadata to log the exchange. */
export interface UpdateScript {
  format: 'mynakit-update-script/1';
  scriptId: string;
  cardId: string;
  counter: number;
  targets: UpdateTarget[];
  commands: Uint8Array[];
}

/** JSON form of a script, for the server→booth hop: commands as upper-case hex. */
export const updateScriptJsonSchema = z.object({
  format: z.literal('mynakit-update-script/1'),
  scriptId: hexString(SCRIPT_ID_LENGTH),
  cardId: hexString(CARD_ID_LENGTH),
  counter: z.number().int().min(1).max(0xffffffff),
  targets: z.array(z.enum(['auth', 'sign'])).min(1),
  commands: z
    .array(z.string().regex(/^([0-9A-Fa-f]{2}){4,}$/))
    .min(3)
    .max(0xffff),
});
export type UpdateScriptJson = z.infer<typeof updateScriptJsonSchema>;

export function updateScriptToJson(script: UpdateScript): UpdateScriptJson {
  return { ...script, targets: [...script.targets], commands: script.commands.map((c) => hex(c)) };
}

/** Validates a script received as JSON (a booth never trusts the shape of what the network gave it). */
export function updateScriptFromJson(json: unknown): UpdateScript {
  const data = updateScriptJsonSchema.parse(json);
  return { ...data, commands: data.commands.map((c) => Uint8Array.from(Buffer.from(c, 'hex'))) };
}

export interface SerialLink {
  oldSerial: string;
  newSerial: string;
}

export interface RenewalLink {
  scriptId: string;
  cardId: string;
  counter: number;
  auth: SerialLink;
  sign: SerialLink | null;
  producedAt: Date;
  activatedAt: Date | null;
}

export interface Renewal {
  script: UpdateScript;
  certificates: { auth: IssuedCertificate; sign: IssuedCertificate | null };
  /** The new private keys (PKCS#8). A real issuer would not keep them; tests use them to cross-check. */
  keys: { auth: Uint8Array; sign: Uint8Array | null };
  link: RenewalLink;
  /** The registries of the roots that issued the old certificates. */
  supersededCas: { auth: RevocationCaKey; sign: RevocationCaKey | null };
  /** The receipt an authentic ACTIVATE returns, hex (kept server-side). */
  expectedReceipt: string;
}

/** Old→new serial links of renewals, for status checks and the 新4情報 lookup. */
export class RenewalLedger {
  readonly #links = new Map<string, RenewalLink>();

  record(link: RenewalLink): void {
    this.#links.set(link.scriptId, link);
  }

  get(scriptId: string): RenewalLink | undefined {
    return this.#links.get(scriptId);
  }

  markActivated(scriptId: string, at: Date): RenewalLink | undefined {
    const link = this.#links.get(scriptId);
    if (link && link.activatedAt === null) link.activatedAt = at;
    return link;
  }

  /** The serial that replaced `serial` in an activated renewal (any hex form), or undefined. */
  successorOf(serial: string): string | undefined {
    const wanted = normalizeSerialHex(serial);
    for (const link of this.#links.values()) {
      if (link.activatedAt === null) continue;
      for (const pair of [link.auth, link.sign]) {
        if (pair && normalizeSerialHex(pair.oldSerial) === wanted) return pair.newSerial;
      }
    }
    return undefined;
  }

  all(): RenewalLink[] {
    return [...this.#links.values()];
  }
}

const generateRsaKeyPair = promisify(generateKeyPair);

/** Asynchronous on purpose: a virtual card in this process must keep answering pcscd meanwhile. */
async function freshKey(): Promise<Uint8Array> {
  const { privateKey } = await generateRsaKeyPair('rsa', { modulusLength: 2048, publicExponent: 65537 });
  return new Uint8Array(privateKey.export({ type: 'pkcs8', format: 'der' }));
}

function serialOf(der: Uint8Array): string {
  return normalizeSerialHex(new X509Certificate(Buffer.from(der)).serialNumber);
}

function caKey(ca: JpkiTestCa): RevocationCaKey {
  return { type: ca.type, hierarchy: ca.hierarchy, generation: ca.generation };
}

/**
 * Issues new keys and certificates for the card's current ones and builds the update script:
 * BEGIN, STAGE KEY (wrapped for the card) and STAGE CERTIFICATE chunks per target, then ACTIVATE.
 * Revokes nothing: call `confirmActivation` with the card's answers.
 */
export async function renewCertificates(input: RenewCertificatesInput): Promise<Renewal> {
  const checked = renewCertificatesInputSchema.parse({
    cardId: input.cardId,
    scriptCounter: input.scriptCounter,
    now: input.now,
  });
  const { persona, cas } = input;
  const now = checked.now;
  const previousCas = input.previousCas ?? cas;
  const oldAuthSerial = serialOf(input.current.auth);
  const oldSignSerial = input.current.sign === null ? null : serialOf(input.current.sign);
  // W1.2: a revoked certificate is not renewed (the server checked it; J-LIS checks again).
  if (input.registries.for(caKey(previousCas.auth)).isRevoked(oldAuthSerial))
    throw new Error('the card’s user-authentication certificate is revoked: no renewal');

  const authKey = input.keys?.auth ?? (await freshKey());
  const signKey = oldSignSerial === null ? null : (input.keys?.sign ?? (await freshKey()));
  const { auth, sign } = await issuePersonaCertificates(cas, persona, { auth: authKey, sign: signKey }, now);
  if (
    normalizeSerialHex(auth.serialNumber) === oldAuthSerial ||
    (sign && normalizeSerialHex(sign.serialNumber) === oldSignSerial)
  )
    throw new Error('the renewal must be issued at another instant than the current certificates');

  const cardId = Uint8Array.from(Buffer.from(checked.cardId, 'hex'));
  const cardKey = deriveCardUpdateKey(input.issuerMasterKey ?? TEST_ISSUER_MASTER_KEY, cardId);
  const scriptId = new Uint8Array(randomBytes(SCRIPT_ID_LENGTH));
  const counter = checked.scriptCounter;

  const staged: { target: UpdateTarget; key: Uint8Array; certificate: Uint8Array }[] = [
    { target: 'auth', key: authKey, certificate: auth.der },
  ];
  if (sign && signKey) staged.push({ target: 'sign', key: signKey, certificate: sign.der });
  const steps: { ins: number; p1: number; payload: Uint8Array }[] = [];
  for (const s of staged) {
    const wrapped = wrapPrivateKey(cardKey, { cardId, scriptId, counter, target: s.target }, s.key);
    for (const payload of chunkPayloads(wrapped))
      steps.push({ ins: UPDATE_INS.STAGE_KEY, p1: UPDATE_TARGET_P1[s.target], payload });
    for (const payload of chunkPayloads(s.certificate))
      steps.push({ ins: UPDATE_INS.STAGE_CERTIFICATE, p1: UPDATE_TARGET_P1[s.target], payload });
  }
  const commandCount = steps.length + 2;
  const base = { cardId, scriptId, counter };
  const commands = [
    encodeUpdateCommand(cardKey, {
      ...base,
      ins: UPDATE_INS.BEGIN,
      p1: 0,
      sequence: 0,
      payload: concatBytes(scriptId, u16(commandCount)),
    }),
    ...steps.map((s, i) => encodeUpdateCommand(cardKey, { ...base, ...s, sequence: i + 1 })),
    encodeUpdateCommand(cardKey, {
      ...base,
      ins: UPDATE_INS.ACTIVATE,
      p1: 0,
      sequence: commandCount - 1,
      payload: new Uint8Array(0),
      le: RECEIPT_LENGTH,
    }),
  ];

  const link: RenewalLink = {
    scriptId: hex(scriptId),
    cardId: checked.cardId.toUpperCase(),
    counter,
    auth: { oldSerial: oldAuthSerial, newSerial: normalizeSerialHex(auth.serialNumber) },
    sign:
      sign && oldSignSerial !== null
        ? { oldSerial: oldSignSerial, newSerial: normalizeSerialHex(sign.serialNumber) }
        : null,
    producedAt: now,
    activatedAt: null,
  };
  input.ledger?.record(link);
  return {
    script: {
      format: 'mynakit-update-script/1',
      scriptId: link.scriptId,
      cardId: link.cardId,
      counter,
      targets: staged.map((s) => s.target),
      commands,
    },
    certificates: { auth, sign },
    keys: { auth: authKey, sign: signKey },
    link,
    supersededCas: { auth: caKey(previousCas.auth), sign: sign ? caKey(previousCas.sign) : null },
    expectedReceipt: hex(activationReceipt(cardKey, cardId, scriptId, counter)),
  };
}

/** The card's answer to one relayed command. */
export interface UpdateAnswer {
  sw: number;
  data: Uint8Array;
}

export interface ConfirmActivationInput {
  renewal: Renewal;
  /** What the booth sent back: one answer per command, in order. */
  answers: readonly UpdateAnswer[];
  registries: RevocationRegistries;
  /** Time of the revocation; default the renewal's issuance instant. */
  now?: Date;
  ledger?: RenewalLedger;
}

export type ActivationResult =
  | { activated: true; revoked: string[] }
  | { activated: false; reason: 'incomplete' | 'rejected' | 'receipt-invalid'; sw?: number };

/**
 * Revoke-on-confirmation: only when every command was answered 90 00 and ACTIVATE returned the receipt that
 * only this card's key can compute are the old certificates revoked as `superseded`. A booth cannot fake it.
 */
export function confirmActivation(input: ConfirmActivationInput): ActivationResult {
  const { renewal, answers } = input;
  const rejected = answers.find((a) => a.sw !== UPDATE_SW.OK);
  if (rejected) return { activated: false, reason: 'rejected', sw: rejected.sw };
  if (answers.length !== renewal.script.commands.length) return { activated: false, reason: 'incomplete' };
  const receipt = answers[answers.length - 1]?.data ?? new Uint8Array(0);
  if (!equalConstantTime(receipt, Uint8Array.from(Buffer.from(renewal.expectedReceipt, 'hex'))))
    return { activated: false, reason: 'receipt-invalid' };
  const at = input.now ?? renewal.link.producedAt;
  const revoked = [renewal.link.auth.oldSerial];
  input.registries.for(renewal.supersededCas.auth).revoke(renewal.link.auth.oldSerial, 'superseded', at);
  if (renewal.link.sign && renewal.supersededCas.sign) {
    input.registries.for(renewal.supersededCas.sign).revoke(renewal.link.sign.oldSerial, 'superseded', at);
    revoked.push(renewal.link.sign.oldSerial);
  }
  renewal.link.activatedAt ??= at;
  input.ledger?.markActivated(renewal.link.scriptId, at);
  return { activated: true, revoked };
}

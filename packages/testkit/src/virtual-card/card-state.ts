import { z } from 'zod';
import { personaSchema } from '../personas/persona-schema.js';

/*
 * The whole persistent card as data: applications, their EFs (binary content, PINs with counters, private keys)
 * and options. Volatile session state (powered, selected AP/EF, verified PINs) is never persisted.
 * Keeping the file table as data lets later work add EFs or a card-management applet without new code paths.
 */

const hex = (bytes?: number) =>
  z
    .string()
    .regex(
      bytes === undefined ? /^([0-9A-F]{2})*$/ : new RegExp(`^[0-9A-F]{${bytes * 2}}$`),
      'upper-case hex',
    );
const base64 = z.string().regex(/^[A-Za-z0-9+/]*={0,2}$/, 'base64');

/** An EF identifier, 4 upper-case hex digits (e.g. `001B`). */
export const fidSchema = hex(2);

/** Who may use an EF: everyone, no one, or anyone who verified one of these PIN EFs of the same AP. */
export const accessSchema = z.union([
  z.literal('always'),
  z.literal('never'),
  z.object({ anyOf: z.array(fidSchema).min(1) }),
]);
export type Access = z.infer<typeof accessSchema>;

/** Format rules, used when CHANGE REFERENCE DATA validates a new value. */
export const pinFormatSchema = z.enum(['digits4', 'password', 'digits12', 'digits14']);
export type PinFormat = z.infer<typeof pinFormatSchema>;

export const pinSchema = z
  .object({
    /** ASCII value; null = never set (e.g. no signing password on a child's card: behaves as blocked). */
    value: z.string().nullable(),
    triesLeft: z.number().int().min(0),
    maxTries: z.number().int().min(1).max(15),
    format: pinFormatSchema,
    /** Whether CHANGE REFERENCE DATA may set a new value. */
    changeable: z.boolean(),
  })
  .refine((p) => p.triesLeft <= p.maxTries, 'triesLeft exceeds maxTries');
export type PinRecord = z.infer<typeof pinSchema>;

export const efSchema = z.discriminatedUnion('type', [
  z.object({
    type: z.literal('binary'),
    fid: fidSchema,
    /** Allocated size; READ BINARY sees `content` followed by FF up to this size. */
    size: z.number().int().min(1).max(0x7fff),
    read: accessSchema,
    content: base64,
    /** What the EF holds, for people reading a state file. */
    label: z.string().optional(),
  }),
  z.object({ type: z.literal('pin'), fid: fidSchema, pin: pinSchema, label: z.string().optional() }),
  z.object({
    type: z.literal('key'),
    fid: fidSchema,
    /** Who may COMPUTE DIGITAL SIGNATURE with it. */
    use: accessSchema,
    /** PKCS#8 DER RSA private key, base64; null = no key on this card. */
    privateKey: base64.nullable(),
    label: z.string().optional(),
  }),
]);
export type ElementaryFile = z.infer<typeof efSchema>;
export type BinaryEf = Extract<ElementaryFile, { type: 'binary' }>;
export type PinEf = Extract<ElementaryFile, { type: 'pin' }>;
export type KeyEf = Extract<ElementaryFile, { type: 'key' }>;

export const applicationSchema = z.object({
  /** Short name: `jpki`, `text` (券面事項入力補助AP), `visual` (券面AP). */
  name: z.string(),
  /** DF name, upper-case hex. */
  aid: hex(),
  efs: z.array(efSchema),
});
export type Application = z.infer<typeof applicationSchema>;

export const cardOptionsSchema = z.object({
  /** Accept extended-length APDUs; off → any extended APDU gets 67 00. */
  extendedLength: z.boolean().default(true),
  /** ATR, upper-case hex. */
  atr: hex().default('3BE000FF8131FE4514'),
  /** When set, answers longer than this many bytes come back in pieces with 61xx and GET RESPONSE. */
  getResponseChunk: z.number().int().min(1).max(256).nullable().default(null),
  /** SW for VERIFY with data on a blocked PIN. */
  blockedSw: z.union([z.literal(0x6984), z.literal(0x6983)]).default(0x6984),
});
export type CardOptions = z.infer<typeof cardOptionsSchema>;

/**
 * Card management for the update script (jlis/UPDATE-SCRIPT.md): the card's identifier, its own update key
 * (diversified from the issuer master key, which never leaves J-LIS) and the counter of the last applied script.
 * Optional so older state files load; the card fills in a test default when it is missing.
 */
export const cardManagementSchema = z.object({
  cardId: hex(8),
  updateKey: hex(32),
  scriptCounter: z.number().int().min(0).max(0xffffffff),
});
export type CardManagement = z.infer<typeof cardManagementSchema>;

export const cardStateSchema = z.object({
  format: z.literal('mynakit-virtual-card'),
  version: z.literal(1),
  options: cardOptionsSchema,
  /** The persona the card was issued to (public test data). */
  persona: personaSchema,
  /** DER certificates, base64 (also inside the JPKI EFs; kept here for tests and tools). */
  certificates: z.object({
    sign: base64.nullable(),
    signCa: base64,
    auth: base64,
    authCa: base64,
  }),
  applications: z.array(applicationSchema),
  cardManagement: cardManagementSchema.optional(),
});
export type CardState = z.infer<typeof cardStateSchema>;
export type CardStateInput = z.input<typeof cardStateSchema>;

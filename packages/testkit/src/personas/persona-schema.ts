import { isValidMyNumber } from '@mynakit/card';
import { z } from 'zod';
import { parseIsoDate } from './japanese-era.js';

const isoDate = z.string().refine(
  (v) => {
    try {
      parseIsoDate(v);
      return true;
    } catch {
      return false;
    }
  },
  { message: 'expected a YYYY-MM-DD calendar date' },
);

/**
 * A generated test person and the card issued to them. Everything here is fictitious test data,
 * including the PINs, which are documented on purpose.
 */
export const personaSchema = z
  .object({
    /** Short ASCII id, e.g. `taro`. */
    id: z.string().regex(/^[a-z][a-z0-9-]{1,15}$/),
    /** One line saying what the persona is for. */
    description: z.string(),
    /** 氏名 as on the card: family and given name separated by a full-width space (U+3000). */
    name: z.string().regex(/^\S+\u3000\S+$/u),
    /** Reading in full-width katakana, same separator. */
    nameKana: z.string().regex(/^[\u30A0-\u30FF]+\u3000[\u30A0-\u30FF]+$/u),
    /** 住所 from the prefecture on, no postcode, full-width digits and hyphens (U+FF0D) like real cards. */
    address: z.string().min(1),
    birthDate: isoDate,
    /**
     * Sex on the card (券面事項入力補助AP DF 25), ISO 5218: `1` male, `2` female, `9` not applicable.
     * The signing certificate uses `1`/`2`/`3`; see certificateSexCode().
     */
    sex: z.enum(['1', '2', '9']),
    /** 個人番号, 12 digits with a valid check digit. */
    myNumber: z.string().refine(isValidMyNumber, { message: 'not a valid My Number' }),
    card: z.object({
      issuedOn: isoDate,
      /** 有効期限 printed on the card (its year goes into 照合番号B). */
      expiresOn: isoDate,
      /** 4-digit セキュリティコード printed under the photo. */
      securityCode: z.string().regex(/^\d{4}$/),
      /** How the birth date is printed: era year for Japanese nationals, Gregorian for foreign residents. */
      birthDatePrinting: z.enum(['japanese-era', 'gregorian']).default('japanese-era'),
    }),
    pins: z.object({
      /** 利用者証明用電子証明書 暗証番号 (JPKI EF 0018), 4 digits. */
      auth: z.string().regex(/^\d{4}$/),
      /** 署名用電子証明書 暗証番号 (JPKI EF 001B), 6–16 of [A-Z0-9]; null when the card has no signing certificate. */
      sign: z
        .string()
        .regex(/^[A-Z0-9]{6,16}$/)
        .nullable(),
      /** 券面事項入力補助用 暗証番号 (EF 0011), 4 digits. */
      textAp: z.string().regex(/^\d{4}$/),
    }),
    jpki: z.object({
      /** Prefecture, romanised, first L of the signing-certificate subject. */
      prefectureRomaji: z.string().regex(/^[\x20-\x7E]+$/),
      /** Municipality, romanised like `Chiyoda-ku`, second L. */
      municipalityRomaji: z.string().regex(/^[\x20-\x7E]+$/),
      /** 9-character office code at the end of the signing-certificate CN. */
      officeCode: z.string().regex(/^[0-9A-Z]{9}$/),
      /** 5-digit sequence in the signing-certificate CN. */
      requestSequence: z.string().regex(/^\d{5}$/),
      /** Opaque 23-character CN of the 利用者証明用 certificate. */
      authSubjectId: z.string().regex(/^[0-9A-Z]{23}$/),
      /** False for children under 15: no 署名用電子証明書 is issued. */
      signingCertificate: z.boolean(),
      /** Name as written into the certificate when it differs (characters outside JIS replaced). */
      certificateName: z.string().optional(),
      /** 氏名代替文字の使用位置: one 0/1 per character of the certificate name; default all 0. */
      nameSubstitution: z
        .string()
        .regex(/^[01]+$/)
        .optional(),
      certificateAddress: z.string().optional(),
      addressSubstitution: z
        .string()
        .regex(/^[01]+$/)
        .optional(),
    }),
  })
  .superRefine((p, ctx) => {
    if (p.jpki.signingCertificate !== (p.pins.sign !== null)) {
      ctx.addIssue({
        code: 'custom',
        message: 'a signing password exists exactly when a signing certificate does',
      });
    }
    const certName = p.jpki.certificateName ?? p.name;
    if (p.jpki.nameSubstitution && [...p.jpki.nameSubstitution].length !== [...certName].length) {
      ctx.addIssue({ code: 'custom', message: 'nameSubstitution must have one digit per character' });
    }
    const certAddress = p.jpki.certificateAddress ?? p.address;
    if (p.jpki.addressSubstitution && [...p.jpki.addressSubstitution].length !== [...certAddress].length) {
      ctx.addIssue({ code: 'custom', message: 'addressSubstitution must have one digit per character' });
    }
  });

export type Persona = z.infer<typeof personaSchema>;
export type PersonaInput = z.input<typeof personaSchema>;

/**
 * Sex code for the signing certificate (SAN 1.2.392.200149.8.5.5.3 uses 1 male, 2 female, 3 unknown) from the
 * card's ISO 5218 code: `1` → `1`, `2` → `2`, `9` (not applicable) → `3`.
 */
export function certificateSexCode(sex: Persona['sex']): '1' | '2' | '3' {
  return sex === '9' ? '3' : sex;
}

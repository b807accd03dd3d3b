import { printedBirthYymmdd } from './japanese-era.js';
import type { Persona } from './persona-schema.js';

/** 照合番号A: the 12-digit My Number (unlocks 券面事項入力補助AP EF 0014 and 券面AP EF 0013). */
export function collationNumberA(persona: Pick<Persona, 'myNumber'>): string {
  return persona.myNumber;
}

/**
 * 照合番号B (14 digits): birth date `YYMMDD` as printed (era year for Japanese nationals, e.g. 昭和55 → 55)
 * + the expiry year (4 digits, Gregorian) + the 4-digit security code.
 */
export function collationNumberB(persona: Pick<Persona, 'birthDate' | 'card'>): string {
  const printing = persona.card.birthDatePrinting ?? 'japanese-era';
  return `${printedBirthYymmdd(persona.birthDate, printing)}${persona.card.expiresOn.slice(0, 4)}${persona.card.securityCode}`;
}

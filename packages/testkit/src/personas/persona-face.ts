import { ageOn } from '../ca/validity.js';
import { syntheticFacePhoto } from './face-photo.js';
import type { Persona } from './persona-schema.js';

/** The synthetic chip photo of a persona (JP2, 240×320 grey): same persona → same bytes. */
export function personaFacePhoto(persona: Persona): Promise<Uint8Array> {
  const age = ageOn(persona.birthDate, persona.card.issuedOn);
  return syntheticFacePhoto({
    seed: persona.id,
    longHair: persona.sex === '2',
    greyHair: age >= 70,
    child: age < 15,
  });
}

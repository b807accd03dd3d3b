import { z } from 'zod';

/**
 * The basic four (基本4情報) a booth reads from the 券面事項入力補助AP (`card.inputSupport.readBasicFour()`); sealed in
 * the case state, shown only to municipality reviewers.
 */
export const cardHolderSchema = z.strictObject({
  name: z.string().min(1).max(200),
  address: z.string().min(1).max(400),
  /** YYYY-MM-DD. */
  birthDate: z.iso.date(),
  /** ISO 5218 as on the card: 1 male, 2 female, 9 not applicable. */
  sex: z.enum(['1', '2', '9']),
});
export type CardHolder = z.infer<typeof cardHolderSchema>;

/**
 * A pseudonymous key for "the same person" across applications (history photos, W1.6 / W2.4): an HMAC of the
 * normalized name and birth date under a server-side pepper, so the index never holds a name and cannot be
 * recomputed without the pepper. The address is left out: it changes when the holder moves.
 */
export async function personKey(
  holder: Pick<CardHolder, 'name' | 'birthDate'>,
  pepper: Uint8Array,
): Promise<string> {
  const normalized = `${holder.name.normalize('NFKC').replace(/\s+/gu, '')}|${holder.birthDate}`;
  const key = await globalThis.crypto.subtle.importKey(
    'raw',
    pepper as Uint8Array<ArrayBuffer>,
    { name: 'HMAC', hash: 'SHA-256' },
    false,
    ['sign'],
  );
  const mac = await globalThis.crypto.subtle.sign('HMAC', key, new TextEncoder().encode(normalized));
  // base64url without padding, browser-safe (no Buffer).
  return btoa(String.fromCharCode(...new Uint8Array(mac)))
    .replace(/\+/g, '-')
    .replace(/\//g, '_')
    .replace(/=+$/, '');
}

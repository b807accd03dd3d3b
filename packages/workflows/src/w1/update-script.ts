import { z } from 'zod';

/**
 * The renewal data J-LIS produces for a card (W1.4) and the booth relays (W1.8): opaque APDUs authenticated with a
 * key only J-LIS and the card hold (format `mynakit-update-script/1`, see the testkit's UPDATE-SCRIPT.md). The server
 * only stores and forwards it; commands are upper-case hex.
 */
export const updateScriptSchema = z.strictObject({
  format: z.literal('mynakit-update-script/1'),
  scriptId: z.string().regex(/^[0-9A-Fa-f]{32}$/),
  cardId: z.string().regex(/^[0-9A-Fa-f]{16}$/),
  counter: z.number().int().min(1).max(0xffffffff),
  targets: z.array(z.enum(['auth', 'sign'])).min(1),
  commands: z
    .array(z.string().regex(/^([0-9A-Fa-f]{2}){4,}$/))
    .min(3)
    .max(0xffff),
});
export type UpdateScript = z.infer<typeof updateScriptSchema>;

/** The card's answer to one relayed command, as the booth reports it: status word and data (base64). */
export const cardAnswerSchema = z.strictObject({
  sw: z.number().int().min(0).max(0xffff),
  data: z.base64().max(4096),
});
export type CardAnswer = z.infer<typeof cardAnswerSchema>;

/** The script's commands as bytes, ready for `card.relayUpdateScript({ commands })`. */
export function updateScriptCommands(script: UpdateScript): Uint8Array[] {
  return script.commands.map((command) => {
    const bytes = new Uint8Array(command.length / 2);
    for (let i = 0; i < bytes.length; i++) bytes[i] = Number.parseInt(command.slice(2 * i, 2 * i + 2), 16);
    return bytes;
  });
}

import { z } from 'zod';
import type { CommandApdu } from '../apdu/types.js';
import { CardError } from '../errors.js';
import type { CardSession } from './card-session.js';

/*
 * The booth's part of a certificate renewal (workflows.md W1.8): relay an update script produced by J-LIS to the
 * card, command by command, and hand the card's answers back to the server. The booth cannot read, alter or
 * build the commands (each is MACed with a key only J-LIS and the card hold); it only transports them.
 */

/** A script as the server hands it to the booth: raw command APDUs for the JPKI application, in order. */
export interface UpdateScriptInput {
  readonly commands: readonly Uint8Array[];
}

/** The card's answer to one command: what the server needs to confirm the activation. */
export interface UpdateScriptAnswer {
  readonly sw: number;
  readonly data: Uint8Array;
}

const scriptSchema = z.object({
  commands: z
    .array(z.instanceof(Uint8Array).refine((c) => c.length >= 4, 'a command APDU has at least 4 bytes'))
    .min(1, 'an update script has at least one command'),
});

/** Decodes a short or extended command APDU; undefined when its length fields do not add up. */
function decodeCommand(bytes: Uint8Array): CommandApdu | undefined {
  const [cla, ins, p1, p2] = [bytes[0]!, bytes[1]!, bytes[2]!, bytes[3]!];
  const header = { cla, ins, p1, p2 };
  const body = bytes.subarray(4);
  if (body.length === 0) return header;
  if (body.length === 1) return { ...header, le: body[0] || 256 };
  const b0 = body[0]!;
  if (b0 !== 0) {
    if (body.length === 1 + b0) return { ...header, data: body.slice(1) };
    if (body.length === 2 + b0) return { ...header, data: body.slice(1, 1 + b0), le: body[1 + b0] || 256 };
    return undefined;
  }
  if (body.length === 3) return { ...header, le: (body[1]! << 8) | body[2]! || 65536 };
  if (body.length < 3) return undefined;
  const lc = (body[1]! << 8) | body[2]!;
  if (lc === 0) return undefined;
  if (body.length === 3 + lc) return { ...header, data: body.slice(3) };
  if (body.length === 5 + lc) {
    return { ...header, data: body.slice(3, 3 + lc), le: (body[3 + lc]! << 8) | body[4 + lc]! || 65536 };
  }
  return undefined;
}

/**
 * Relays `script` to the card's JPKI application and returns one answer per command.
 * Stops at the first answer that is not `90 00` and throws CardError UPDATE_SCRIPT_REJECTED with that status word
 * and the command's index (the card has then discarded what it staged; its old keys and certificates stay active).
 * A card pulled out mid-script fails with CARD_REMOVED; relaying the whole script again after reinsertion is safe.
 */
export async function relayUpdateScript(
  session: CardSession,
  script: UpdateScriptInput,
): Promise<UpdateScriptAnswer[]> {
  const parsed = scriptSchema.safeParse(script);
  if (!parsed.success)
    throw new CardError('INVALID_INPUT', 'the update script is not a list of command APDUs');
  const commands = parsed.data.commands.map((bytes, index) => {
    const command = decodeCommand(bytes);
    if (!command) {
      throw new CardError('INVALID_INPUT', `command ${index} of the update script is not a valid APDU`, {
        details: { index },
      });
    }
    return command;
  });
  await session.selectApplication('jpki');
  const answers: UpdateScriptAnswer[] = [];
  for (const [index, command] of commands.entries()) {
    const response = await session.transmit(command);
    answers.push({ sw: response.sw, data: response.data });
    if (response.sw !== 0x9000) {
      throw new CardError(
        'UPDATE_SCRIPT_REJECTED',
        `the card refused command ${index} of the update script`,
        {
          sw: response.sw,
          details: { index, commands: commands.length },
        },
      );
    }
  }
  return answers;
}

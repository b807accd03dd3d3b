import type { Challenge, ChallengeStore } from '@mynakit/jpki';
import { z } from 'zod';
import type { Mailbox } from '../stores/mailbox.js';

const storedChallengeSchema = z.strictObject({
  toBeSigned: z.base64(),
  purpose: z.string(),
  expiresAt: z.iso.datetime(),
});

/**
 * Card-signature challenges in the shared database (through the Mailbox), so a challenge issued by one server
 * process can be answered at another. `take` is single-use across processes: of two concurrent takes only the one
 * whose delete removed the row gets the challenge. Each purpose (W3 applications, W4 logins) gets its own
 * `namespace`, so a challenge of one cannot be spent on the other.
 */
export class MailboxChallengeStore implements ChallengeStore {
  private readonly recipient: string;

  constructor(
    private readonly mailbox: Mailbox,
    namespace: string,
    private readonly clock: () => Date = () => new Date(),
  ) {
    this.recipient = `challenges:${namespace}`;
  }

  async put(challenge: Challenge): Promise<void> {
    await this.mailbox.put(
      this.recipient,
      challenge.id,
      {
        toBeSigned: Buffer.from(challenge.toBeSigned).toString('base64'),
        purpose: challenge.purpose,
        expiresAt: challenge.expiresAt.toISOString(),
      },
      this.clock(),
    );
  }

  async take(id: string): Promise<Challenge | null> {
    const message = await this.mailbox.get(this.recipient, id);
    if (message === null || !(await this.mailbox.ack(this.recipient, id))) return null;
    const stored = storedChallengeSchema.parse(message.payload);
    return {
      id,
      toBeSigned: new Uint8Array(Buffer.from(stored.toBeSigned, 'base64')),
      purpose: stored.purpose,
      expiresAt: new Date(stored.expiresAt),
    };
  }
}

import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

const digest = (text: string) => createHash('sha256').update(text).digest();

/**
 * The eKYC server's own caller authentication: the business's application backend sends
 * `Authorization: Bearer <token>`. Only the token's SHA-256 is kept in memory, and compared in constant time.
 * The backend is trusted with its customers: it passes the customer id of the person it logged in.
 */
export class BearerTokenAuth {
  private readonly expected: Buffer;

  constructor(token: string) {
    if (token.length < 16) throw new Error('the API token must have at least 16 characters');
    this.expected = digest(token);
  }

  allows(req: IncomingMessage): boolean {
    const header = req.headers.authorization ?? '';
    const match = /^Bearer ([^\s]+)$/.exec(header);
    return match !== null && timingSafeEqual(digest(match[1]!), this.expected);
  }
}

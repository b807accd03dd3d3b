import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { z } from 'zod';

// API keys of the reference server. The config holds only the SHA-256 of each key, so a leaked config file lets
// nobody call the server; the actor id (booth id, kiosk id, reviewer id) is the key's `id`, never a body field.

export const apiRoles = ['booth', 'kiosk', 'municipality', 'ekyc'] as const;
export type ApiRole = (typeof apiRoles)[number];

/** Actor ids reach logs, case state and URLs: short, no personal data. */
export const actorIdSchema = z.string().regex(/^[A-Za-z0-9._:-]{1,64}$/);

export const apiKeyEntrySchema = z.strictObject({
  id: actorIdSchema,
  role: z.enum(apiRoles),
  /** Lower-case hex SHA-256 of the key (the key itself is never stored). */
  sha256: z
    .string()
    .regex(/^[0-9a-fA-F]{64}$/)
    .transform((hex) => hex.toLowerCase()),
});
export type ApiKeyEntry = z.infer<typeof apiKeyEntrySchema>;

/**
 * A client certificate accepted as an actor (mTLS): the SHA-256 of its DER, lower-case hex. The certificate must
 * also chain to one of the configured client CAs (the TLS layer checks that).
 */
export const clientCertificateEntrySchema = z.strictObject({
  id: actorIdSchema,
  role: z.enum(apiRoles),
  /** As `openssl x509 -noout -fingerprint -sha256` prints it (colons allowed) or plain hex. */
  sha256: z
    .string()
    .transform((hex) => hex.replace(/:/g, '').toLowerCase())
    .pipe(z.string().regex(/^[0-9a-f]{64}$/)),
});
export type ClientCertificateEntry = z.input<typeof clientCertificateEntrySchema>;

/** Who is calling, as established by the API key or the client certificate. */
export interface Actor {
  readonly id: string;
  readonly role: ApiRole;
}

export type AuthResult =
  | { readonly ok: true; readonly actor: Actor }
  | { readonly ok: false; readonly status: 401 | 403; readonly code: 'UNAUTHENTICATED' | 'FORBIDDEN' };

const BEARER = /^Bearer ([A-Za-z0-9._~+/-]+=*)$/;

export function sha256Hex(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex');
}

/**
 * Checks `Authorization: Bearer <key>` against the configured hashes. Every entry is compared (constant time, no
 * early exit), so the time taken does not tell which entry, if any, came close.
 */
export class ApiKeyAuthenticator {
  private readonly entries: readonly { actor: Actor; digest: Buffer }[];
  private readonly certificates: readonly { actor: Actor; digest: Buffer }[];

  constructor(entries: readonly ApiKeyEntry[], clientCertificates: readonly ClientCertificateEntry[] = []) {
    const keys = z.array(apiKeyEntrySchema).parse(entries);
    const certificates = z.array(clientCertificateEntrySchema).parse(clientCertificates);
    const ids = new Set<string>();
    // One id is one actor, whichever way it authenticates.
    for (const entry of [...keys, ...certificates]) {
      if (ids.has(entry.id)) throw new TypeError(`actor id configured twice: ${entry.id}`);
      ids.add(entry.id);
    }
    const toEntry = (entry: { id: string; role: ApiRole; sha256: string }) => ({
      actor: { id: entry.id, role: entry.role },
      digest: Buffer.from(entry.sha256, 'hex'),
    });
    this.entries = keys.map(toEntry);
    this.certificates = certificates.map(toEntry);
  }

  /** The actor for a client certificate (DER) the TLS layer verified, or null when it is not configured. */
  identifyCertificate(der: Uint8Array): Actor | null {
    const digest = createHash('sha256').update(der).digest();
    let found: Actor | null = null;
    for (const entry of this.certificates) {
      if (timingSafeEqual(entry.digest, digest) && found === null) found = entry.actor;
    }
    return found;
  }

  /** The actor for a header value, or null (missing, malformed or unknown key). */
  identify(authorization: string | undefined): Actor | null {
    const match = authorization === undefined ? null : BEARER.exec(authorization.trim());
    if (match === null) return null;
    const digest = createHash('sha256').update(match[1]!, 'utf8').digest();
    let found: Actor | null = null;
    for (const entry of this.entries) {
      if (timingSafeEqual(entry.digest, digest) && found === null) found = entry.actor;
    }
    return found;
  }

  /**
   * 401 without a valid key or client certificate, 403 when the caller's role is not among `roles`. A verified
   * client certificate that is configured wins over the header.
   */
  authorize(
    authorization: string | undefined,
    roles: readonly ApiRole[],
    clientCertificate?: Uint8Array,
  ): AuthResult {
    const actor =
      (clientCertificate === undefined ? null : this.identifyCertificate(clientCertificate)) ??
      this.identify(authorization);
    if (actor === null) return { ok: false, status: 401, code: 'UNAUTHENTICATED' };
    if (!roles.includes(actor.role)) return { ok: false, status: 403, code: 'FORBIDDEN' };
    return { ok: true, actor };
  }
}

/** A fresh key (`mk_` + 256 random bits, base64url) and the config entry that accepts it. Show the key once. */
export function generateApiKey(input: { id: string; role: ApiRole }): { key: string; entry: ApiKeyEntry } {
  const key = `mk_${randomBytes(32).toString('base64url')}`;
  const entry = apiKeyEntrySchema.parse({ id: input.id, role: input.role, sha256: sha256Hex(key) });
  return { key, entry };
}

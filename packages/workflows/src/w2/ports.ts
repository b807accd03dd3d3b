/**
 * W2.3 the administrative server (行政サーバ) registers a photo together with its capture date-time. It dedupes by
 * `idempotencyKey`: a re-run after a crash registers nothing twice.
 */
export interface AdminServerPort {
  registerPhoto(input: {
    /** Pseudonymous person key (see `personKey`), never a name. */
    readonly personKey: string;
    readonly photo: Uint8Array;
    readonly mediaType: 'image/jpeg' | 'image/png';
    /** ISO date-time the booth took the photo (W2.1). */
    readonly capturedAt: string;
    readonly idempotencyKey: string;
  }): Promise<{ readonly registrationId: string }>;
}

import { z } from 'zod';
import { PrivacyError } from './errors.js';
import { type Keyring, sealContext } from './sealed-box.js';

// Browser-safe part of photo storage: the interface, the metadata schema, sealing helpers shared with the Node
// file store, and an in-memory store. Photos are always sealed, also in memory, so both stores behave the same.

export const photoKinds = ['live', 'card', 'history', 'registered'] as const;
export type PhotoKind = (typeof photoKinds)[number];

/** Random 128-bit ids, lowercase hex: never derived from personal data, safe as file names. */
export const photoIdSchema = z.string().regex(/^[0-9a-f]{32}$/);

export const photoMetadataSchema = z.object({
  id: photoIdSchema,
  kind: z.enum(photoKinds),
  caseId: z.string().min(1).max(200),
  capturedAt: z.iso.datetime(),
  storedAt: z.iso.datetime(),
  /** SHA-256 of the plaintext photo, lowercase hex: checked after every decrypt. */
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
  byteLength: z.number().int().nonnegative(),
});
export type PhotoMetadata = z.infer<typeof photoMetadataSchema>;

export const newPhotoSchema = z.object({
  kind: z.enum(photoKinds),
  caseId: z.string().min(1).max(200),
  capturedAt: z.date(),
  bytes: z.instanceof(Uint8Array),
});
/** A photo to store. Any Uint8Array (Buffer included), whatever its backing buffer. */
export interface NewPhoto {
  readonly kind: PhotoKind;
  readonly caseId: string;
  readonly capturedAt: Date;
  readonly bytes: Uint8Array;
}

export interface StoredPhoto {
  readonly metadata: PhotoMetadata;
  readonly bytes: Uint8Array;
}

export interface PhotoStore {
  /** Seals and stores the photo under a new random id; durable when the promise resolves. */
  put(photo: NewPhoto): Promise<PhotoMetadata>;
  /** Opens and verifies (authentication tag, then SHA-256); undefined when no such photo (never stored, or purged). */
  get(id: string): Promise<StoredPhoto | undefined>;
  /** Metadata only, without decrypting; undefined when absent. */
  metadata(id: string): Promise<PhotoMetadata | undefined>;
  /** True when a photo was deleted. */
  delete(id: string): Promise<boolean>;
  /** Retention: deletes every photo stored (storedAt) strictly before `cutoff`; returns how many. */
  purgeOlderThan(cutoff: Date): Promise<number>;
}

export interface PhotoStoreOptions {
  readonly keyring: Keyring;
  /** Injected for tests; defaults to the wall clock. */
  readonly clock?: () => Date;
}

/** The associated data of a photo blob: all metadata, so a blob cannot move to another case, kind or id. */
export function photoAssociatedData(metadata: PhotoMetadata): Uint8Array {
  const m = metadata;
  return sealContext(
    'photo',
    m.id,
    m.kind,
    m.caseId,
    m.capturedAt,
    m.storedAt,
    m.sha256,
    String(m.byteLength),
  );
}

export function newPhotoId(): string {
  return toHex(globalThis.crypto.getRandomValues(new Uint8Array(16)));
}

export function parsePhotoId(id: unknown): string {
  const parsed = photoIdSchema.safeParse(id);
  if (!parsed.success) throw new PrivacyError('INVALID_INPUT', 'a photo id is 32 lowercase hex digits');
  return parsed.data;
}

/** Validates the input, builds the metadata and seals the bytes. */
export async function sealPhoto(
  keyring: Keyring,
  photo: NewPhoto,
  now: Date,
): Promise<{ metadata: PhotoMetadata; blob: Uint8Array }> {
  const parsed = newPhotoSchema.safeParse(photo);
  if (!parsed.success) {
    const where = parsed.error.issues.map((i) => i.path.join('.') || '(root)').join(', ');
    throw new PrivacyError('INVALID_INPUT', `invalid photo (${where})`);
  }
  const { kind, caseId, capturedAt, bytes } = parsed.data;
  if (Number.isNaN(capturedAt.getTime()))
    throw new PrivacyError('INVALID_INPUT', 'invalid photo (capturedAt)');
  const metadata: PhotoMetadata = {
    id: newPhotoId(),
    kind,
    caseId,
    capturedAt: capturedAt.toISOString(),
    storedAt: now.toISOString(),
    sha256: await sha256Hex(bytes),
    byteLength: bytes.length,
  };
  return { metadata, blob: await keyring.seal(bytes, photoAssociatedData(metadata)) };
}

/** Opens a blob for its metadata and checks the plaintext hash. */
export async function openPhoto(
  keyring: Keyring,
  metadata: PhotoMetadata,
  blob: Uint8Array,
): Promise<StoredPhoto> {
  const bytes = await keyring.open(blob, photoAssociatedData(metadata));
  if (bytes.length !== metadata.byteLength || (await sha256Hex(bytes)) !== metadata.sha256) {
    throw new PrivacyError('INTEGRITY_FAILED', 'the photo does not match its recorded SHA-256', {
      details: { photoId: metadata.id },
    });
  }
  return { metadata, bytes };
}

export async function sha256Hex(bytes: Uint8Array): Promise<string> {
  return toHex(
    new Uint8Array(await globalThis.crypto.subtle.digest('SHA-256', bytes as Uint8Array<ArrayBuffer>)),
  );
}

function toHex(bytes: Uint8Array): string {
  let hex = '';
  for (const b of bytes) hex += b.toString(16).padStart(2, '0');
  return hex;
}

/** In-memory photo store for tests and browsers: same behaviour as the file store, nothing durable. */
export class MemoryPhotoStore implements PhotoStore {
  private readonly photos = new Map<string, { metadata: PhotoMetadata; blob: Uint8Array }>();
  private readonly keyring: Keyring;
  private readonly clock: () => Date;

  constructor(options: PhotoStoreOptions) {
    this.keyring = options.keyring;
    this.clock = options.clock ?? (() => new Date());
  }

  async put(photo: NewPhoto): Promise<PhotoMetadata> {
    const sealed = await sealPhoto(this.keyring, photo, this.clock());
    this.photos.set(sealed.metadata.id, sealed);
    return sealed.metadata;
  }

  async get(id: string): Promise<StoredPhoto | undefined> {
    const entry = this.photos.get(parsePhotoId(id));
    return entry === undefined ? undefined : openPhoto(this.keyring, entry.metadata, entry.blob);
  }

  async metadata(id: string): Promise<PhotoMetadata | undefined> {
    return this.photos.get(parsePhotoId(id))?.metadata;
  }

  async delete(id: string): Promise<boolean> {
    return this.photos.delete(parsePhotoId(id));
  }

  async purgeOlderThan(cutoff: Date): Promise<number> {
    let count = 0;
    for (const [id, { metadata }] of this.photos) {
      if (Date.parse(metadata.storedAt) < cutoff.getTime()) {
        this.photos.delete(id);
        count++;
      }
    }
    return count;
  }

  /** Test hook: the sealed blob as stored (to tamper with or scan). */
  sealedBlob(id: string): Uint8Array | undefined {
    return this.photos.get(parsePhotoId(id))?.blob;
  }
}

import { randomBytes } from 'node:crypto';
import { mkdir, open, readdir, readFile, rename, stat, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { PrivacyError } from './errors.js';
import {
  type NewPhoto,
  openPhoto,
  type PhotoMetadata,
  type PhotoStore,
  type PhotoStoreOptions,
  parsePhotoId,
  photoMetadataSchema,
  type StoredPhoto,
  sealPhoto,
} from './photo-store.js';

// Node-only. One file per photo, `<id>.photo`, so metadata and blob are replaced together by one rename:
//   magic "MKPH" | version 0x01 | metadata length u32 BE | metadata JSON (UTF-8) | sealed box
// Metadata stays readable without keys so that retention can purge even after a key was retired; it is bound
// into the seal as associated data, so editing it makes the photo fail to open.

const MAGIC = Buffer.from('MKPH', 'ascii');
const VERSION = 1;
const HEADER_LENGTH = MAGIC.length + 1 + 4;
const SUFFIX = '.photo';
const TEMP_PREFIX = '.tmp-';

export interface FilePhotoStoreOptions extends PhotoStoreOptions {
  /** Created (mode 0700) when missing. */
  readonly dir: string;
}

export class FilePhotoStore implements PhotoStore {
  private readonly dir: string;
  private readonly options: PhotoStoreOptions;
  private ready: Promise<void> | undefined;

  constructor(options: FilePhotoStoreOptions) {
    this.dir = options.dir;
    this.options = options;
  }

  async put(photo: NewPhoto): Promise<PhotoMetadata> {
    await this.ensureDir();
    const { metadata, blob } = await sealPhoto(this.options.keyring, photo, this.now());
    const meta = Buffer.from(JSON.stringify(metadata), 'utf8');
    const header = Buffer.alloc(HEADER_LENGTH);
    MAGIC.copy(header, 0);
    header.writeUInt8(VERSION, MAGIC.length);
    header.writeUInt32BE(meta.length, MAGIC.length + 1);
    await this.writeAtomically(this.pathOf(metadata.id), Buffer.concat([header, meta, blob]));
    return metadata;
  }

  async get(id: string): Promise<StoredPhoto | undefined> {
    const file = await this.readPhotoFile(parsePhotoId(id));
    return file === undefined ? undefined : openPhoto(this.options.keyring, file.metadata, file.blob);
  }

  async metadata(id: string): Promise<PhotoMetadata | undefined> {
    return (await this.readPhotoFile(parsePhotoId(id)))?.metadata;
  }

  async delete(id: string): Promise<boolean> {
    try {
      await unlink(this.pathOf(parsePhotoId(id)));
      await this.syncDir();
      return true;
    } catch (error) {
      if (isNotFound(error)) return false;
      throw error;
    }
  }

  async purgeOlderThan(cutoff: Date): Promise<number> {
    let names: string[];
    try {
      names = await readdir(this.dir);
    } catch (error) {
      if (isNotFound(error)) return 0;
      throw error;
    }
    let count = 0;
    for (const name of names) {
      const path = join(this.dir, name);
      if (name.startsWith(TEMP_PREFIX)) {
        // Left by a crash between write and rename: sealed, never acknowledged; drop once past the cutoff.
        const info = await stat(path).catch(() => undefined);
        if (info !== undefined && info.mtime.getTime() < cutoff.getTime()) await unlink(path).catch(() => {});
        continue;
      }
      if (!name.endsWith(SUFFIX)) continue;
      const id = name.slice(0, -SUFFIX.length);
      const file = await this.readPhotoFile(id).catch(() => undefined);
      if (file === undefined) continue;
      if (Date.parse(file.metadata.storedAt) < cutoff.getTime()) {
        await unlink(path).catch((error: unknown) => {
          if (!isNotFound(error)) throw error;
        });
        count++;
      }
    }
    if (count > 0) await this.syncDir();
    return count;
  }

  private now(): Date {
    return this.options.clock?.() ?? new Date();
  }

  private pathOf(id: string): string {
    return join(this.dir, `${id}${SUFFIX}`);
  }

  private ensureDir(): Promise<void> {
    this.ready ??= mkdir(this.dir, { recursive: true, mode: 0o700 }).then(() => undefined);
    return this.ready;
  }

  private async readPhotoFile(
    id: string,
  ): Promise<{ metadata: PhotoMetadata; blob: Uint8Array } | undefined> {
    let data: Buffer;
    try {
      data = await readFile(this.pathOf(id));
    } catch (error) {
      if (isNotFound(error)) return undefined;
      throw error;
    }
    if (data.length < HEADER_LENGTH || !data.subarray(0, MAGIC.length).equals(MAGIC)) throw badFile(id);
    if (data.readUInt8(MAGIC.length) !== VERSION) throw badFile(id);
    const metaLength = data.readUInt32BE(MAGIC.length + 1);
    const metaEnd = HEADER_LENGTH + metaLength;
    if (data.length < metaEnd) throw badFile(id);
    let json: unknown;
    try {
      json = JSON.parse(data.subarray(HEADER_LENGTH, metaEnd).toString('utf8'));
    } catch {
      throw badFile(id);
    }
    const parsed = photoMetadataSchema.safeParse(json);
    if (!parsed.success || parsed.data.id !== id) throw badFile(id);
    return { metadata: parsed.data, blob: new Uint8Array(data.subarray(metaEnd)) };
  }

  /** Temp file (0600, exclusive) + fsync + rename + directory fsync: a reader sees the old state or the whole new one. */
  private async writeAtomically(path: string, data: Buffer): Promise<void> {
    const temp = join(this.dir, `${TEMP_PREFIX}${randomBytes(8).toString('hex')}`);
    const handle = await open(temp, 'wx', 0o600);
    try {
      await handle.writeFile(data);
      await handle.sync();
    } finally {
      await handle.close();
    }
    try {
      await rename(temp, path);
    } catch (error) {
      await unlink(temp).catch(() => {});
      throw error;
    }
    await this.syncDir();
  }

  private async syncDir(): Promise<void> {
    // Makes the rename/unlink itself durable. Some platforms cannot open a directory for fsync: best effort there.
    try {
      const handle = await open(this.dir, 'r');
      try {
        await handle.sync();
      } finally {
        await handle.close();
      }
    } catch {
      /* not supported on this platform */
    }
  }
}

function badFile(id: string): PrivacyError {
  return new PrivacyError('MALFORMED_BLOB', 'the stored photo file is not in the expected format', {
    details: { photoId: id },
  });
}

function isNotFound(error: unknown): boolean {
  return (error as { code?: unknown } | null)?.code === 'ENOENT';
}

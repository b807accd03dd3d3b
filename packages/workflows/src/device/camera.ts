/** A photo as the booth's camera took it. */
export interface CapturedPhoto {
  readonly bytes: Uint8Array;
  readonly mediaType: LivePhotoMediaType;
  readonly capturedAt: Date;
}

export type LivePhotoMediaType = 'image/jpeg' | 'image/png';

/** The booth's camera: one call, one photo. */
export interface CameraPort {
  capture(): Promise<CapturedPhoto>;
}

/** JPEG or PNG from the magic bytes; null for anything else (the server accepts only these two). */
export function sniffMediaType(bytes: Uint8Array): LivePhotoMediaType | null {
  if (bytes.length >= 3 && bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff) return 'image/jpeg';
  const png = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
  if (bytes.length >= png.length && png.every((b, i) => bytes[i] === b)) return 'image/png';
  return null;
}

export function photoFrom(bytes: Uint8Array, capturedAt: Date): CapturedPhoto {
  const mediaType = sniffMediaType(bytes);
  if (mediaType === null) throw new TypeError('the camera frame is neither JPEG nor PNG');
  return { bytes, mediaType, capturedAt };
}

export interface StreamCameraOptions {
  /** The capture time stamped on each frame (default the system clock). */
  readonly clock?: () => Date;
}

/**
 * A camera over a stream of encoded frames (a webcam pipeline, a test generator): each capture takes the next frame.
 * Captures are serialised so that two concurrent calls never get the same frame.
 */
export class StreamCamera implements CameraPort {
  private readonly iterator: AsyncIterator<Uint8Array>;
  private readonly clock: () => Date;
  private queue: Promise<unknown> = Promise.resolve();

  constructor(frames: AsyncIterable<Uint8Array>, options: StreamCameraOptions = {}) {
    this.iterator = frames[Symbol.asyncIterator]();
    this.clock = options.clock ?? (() => new Date());
  }

  capture(): Promise<CapturedPhoto> {
    const next = this.queue.then(async () => {
      const frame = await this.iterator.next();
      if (frame.done) throw new RangeError('the camera stream has ended');
      return photoFrom(frame.value, this.clock());
    });
    this.queue = next.catch(() => undefined);
    return next;
  }
}

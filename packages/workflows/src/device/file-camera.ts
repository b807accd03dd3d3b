import { type CameraPort, type CapturedPhoto, photoFrom } from './camera.js';

export interface FileCameraOptions {
  /** The capture time stamped on each photo (default the system clock). */
  readonly clock?: () => Date;
}

/**
 * A camera that plays back still photos, for demos, kiosks without a camera driver and tests: each capture returns
 * the next source, cycling. Sources are file paths (Node only: `node:fs` is loaded on first use, so byte sources
 * work in a browser) or the bytes themselves.
 */
export class FileCamera implements CameraPort {
  private readonly sources: readonly (string | Uint8Array)[];
  private readonly clock: () => Date;
  private next = 0;

  constructor(sources: readonly (string | Uint8Array)[], options: FileCameraOptions = {}) {
    if (sources.length === 0) throw new RangeError('a FileCamera needs at least one photo');
    this.sources = [...sources];
    this.clock = options.clock ?? (() => new Date());
  }

  async capture(): Promise<CapturedPhoto> {
    const source = this.sources[this.next % this.sources.length]!;
    this.next++;
    const bytes = typeof source === 'string' ? await readFile(source) : source;
    return photoFrom(bytes, this.clock());
  }
}

// Not a string literal on purpose: browser bundlers leave the import alone instead of failing to resolve a Node
// built-in, so `@mynakit/workflows/device` bundles for the browser and only path sources need Node.
const NODE_FS = 'node:fs/promises';

async function readFile(path: string): Promise<Uint8Array> {
  const fs = (await import(/* @vite-ignore */ NODE_FS)) as typeof import('node:fs/promises');
  return new Uint8Array(await fs.readFile(path));
}

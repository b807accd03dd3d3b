import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FileCamera, StreamCamera, sniffMediaType } from '@mynakit/workflows/device';
import { describe, expect, it } from 'vitest';

const JPEG = Uint8Array.of(0xff, 0xd8, 0xff, 0xdb, 9);
const PNG = Uint8Array.of(0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0);
const JP2 = Uint8Array.of(0, 0, 0, 0x0c, 0x6a, 0x50, 0x20, 0x20);

describe('device cameras', () => {
  it('sniffs JPEG and PNG from their magic bytes and nothing else', () => {
    expect(sniffMediaType(JPEG)).toBe('image/jpeg');
    expect(sniffMediaType(PNG)).toBe('image/png');
    expect(sniffMediaType(JP2)).toBeNull();
    expect(sniffMediaType(new Uint8Array(0))).toBeNull();
  });

  it('FileCamera cycles through byte sources and files, stamping the clock', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'mynakit-camera-'));
    try {
      await writeFile(join(dir, 'a.png'), PNG);
      let tick = 0;
      const camera = new FileCamera([JPEG, join(dir, 'a.png')], {
        clock: () => new Date(Date.UTC(2026, 0, 1, 0, 0, ++tick)),
      });
      const shots = [await camera.capture(), await camera.capture(), await camera.capture()];
      expect(shots.map((s) => s.mediaType)).toEqual(['image/jpeg', 'image/png', 'image/jpeg']);
      expect(shots[1]!.bytes).toEqual(PNG);
      expect(shots.map((s) => s.capturedAt.toISOString())).toEqual([
        '2026-01-01T00:00:01.000Z',
        '2026-01-01T00:00:02.000Z',
        '2026-01-01T00:00:03.000Z',
      ]);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('FileCamera refuses a frame that is neither JPEG nor PNG, and an empty source list', async () => {
    await expect(new FileCamera([JP2]).capture()).rejects.toThrow(/neither JPEG nor PNG/);
    expect(() => new FileCamera([])).toThrow(RangeError);
  });

  it('StreamCamera hands out the frames in order, one per capture, even to concurrent captures', async () => {
    async function* frames() {
      yield JPEG;
      yield PNG;
    }
    const camera = new StreamCamera(frames());
    const [a, b] = await Promise.all([camera.capture(), camera.capture()]);
    expect([a.mediaType, b.mediaType]).toEqual(['image/jpeg', 'image/png']);
    await expect(camera.capture()).rejects.toThrow(/ended/);
  });
});

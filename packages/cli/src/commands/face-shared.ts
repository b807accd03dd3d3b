import { readFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { type FaceEmbedding, FaceEngine } from '@mynakit/face';
import { z } from 'zod';
import type { FaceBox } from './face-card-sim.js';

/** What the face commands need from one photo: its embedding and, for the card simulation, where the face is. */
export interface PhotoAnalysis {
  embedding: FaceEmbedding;
  /** The largest face, in original-image pixels (after EXIF rotation). */
  box?: FaceBox;
  /** Faces found; the embedding is the largest one's. */
  faces?: number;
}

export interface PhotoAnalyzer {
  analyze(bytes: Uint8Array): Promise<PhotoAnalysis>;
  close(): Promise<void>;
}

/** Opens the CPU face engine (loading models takes a second or two; reuse it for every photo). */
export async function openAnalyzer(): Promise<PhotoAnalyzer> {
  // Antispoof/liveness are soft signals the commands do not use: skip them.
  const engine = await FaceEngine.create({ softSignals: false });
  return {
    async analyze(bytes) {
      const { embedding, box, faces } = await engine.analyze(bytes);
      return { embedding, box, faces };
    },
    close: () => engine.close(),
  };
}

export async function readPhoto(path: string): Promise<Uint8Array> {
  return new Uint8Array(await readFile(path));
}

/** `mynakit face calibrate --labels`: a JSON array of photos, paths relative to the labels file. */
export const labelsSchema = z.array(
  z.looseObject({
    file: z.string().min(1),
    /** null = not a single-person photo (a group shot): it takes part in no pair. */
    identity: z.string().min(1).nullable(),
  }),
);

export interface LabelledFile {
  /** As written in the labels file (for reports). */
  file: string;
  path: string;
  identity: string | null;
}

export async function readLabels(labelsPath: string): Promise<LabelledFile[]> {
  const json: unknown = JSON.parse(await readFile(labelsPath, 'utf8'));
  const base = dirname(resolve(labelsPath));
  return labelsSchema.parse(json).map((entry) => ({
    file: entry.file,
    path: resolve(base, entry.file),
    identity: entry.identity,
  }));
}

import { z } from 'zod';
import { pageLimit } from './page-limit.js';

/**
 * Earlier photos of the same person (W1.6 booth photos, W2.4 registered photos), by pseudonymous person key. The
 * bytes live in the encrypted PhotoStore; the index holds ids only.
 */
export const historyPhotoEntrySchema = z.strictObject({
  personKey: z.string().min(16).max(128),
  /** The PhotoStore id. */
  photoId: z.string().regex(/^[0-9a-f]{32}$/),
  kind: z.enum(['booth', 'registered']),
  capturedAt: z.iso.datetime(),
  /** The case that accepted the photo (its evidence). */
  caseId: z.string().min(1).max(200),
});
export type HistoryPhotoEntry = z.infer<typeof historyPhotoEntrySchema>;

export interface HistoryPhotoIndex {
  /** Idempotent on `photoId`: an effect re-run after a crash adds nothing twice. */
  add(entry: HistoryPhotoEntry): Promise<void>;
  /** Newest `capturedAt` first (ties: photo id descending); default limit 20, at most 1000. */
  list(
    personKey: string,
    options?: { kind?: HistoryPhotoEntry['kind']; limit?: number },
  ): Promise<HistoryPhotoEntry[]>;
  /** Retention: removes entries captured before `before`; returns their photo ids (the caller deletes the bytes). */
  purgeBefore(before: Date): Promise<string[]>;
}

export class InMemoryHistoryPhotoIndex implements HistoryPhotoIndex {
  private readonly entries = new Map<string, HistoryPhotoEntry>();

  async add(entry: HistoryPhotoEntry): Promise<void> {
    const parsed = historyPhotoEntrySchema.parse(entry);
    if (!this.entries.has(parsed.photoId)) this.entries.set(parsed.photoId, parsed);
  }

  async list(
    personKey: string,
    options: { kind?: HistoryPhotoEntry['kind']; limit?: number } = {},
  ): Promise<HistoryPhotoEntry[]> {
    const limit = pageLimit(options.limit, 20);
    return [...this.entries.values()]
      .filter((e) => e.personKey === personKey && (options.kind === undefined || e.kind === options.kind))
      .sort(
        (a, b) =>
          Date.parse(b.capturedAt) - Date.parse(a.capturedAt) ||
          (a.photoId < b.photoId ? 1 : a.photoId > b.photoId ? -1 : 0),
      )
      .slice(0, limit)
      .map((e) => ({ ...e }));
  }

  async purgeBefore(before: Date): Promise<string[]> {
    const removed: string[] = [];
    for (const [id, entry] of this.entries) {
      if (Date.parse(entry.capturedAt) < before.getTime()) {
        this.entries.delete(id);
        removed.push(id);
      }
    }
    return removed;
  }
}

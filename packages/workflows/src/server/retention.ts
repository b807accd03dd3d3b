import type { WorkflowRuntime } from '../engine/runtime.js';
import type { PhotoStore } from '../privacy/photo-store.js';
import type { HistoryPhotoIndex } from '../stores/history-photo-index.js';
import type { Mailbox } from '../stores/mailbox.js';
import type { EvidenceStore } from '../w4/stores.js';

export interface RetentionTargets {
  readonly runtime: WorkflowRuntime;
  readonly photos: PhotoStore;
  readonly history?: HistoryPhotoIndex | undefined;
  readonly mailbox?: Mailbox | undefined;
  /** W4 identity evidence keeps its own legal retention (7 years): purged by its `retainUntil`, not by `before`. */
  readonly evidence?: EvidenceStore | undefined;
}

export interface RetentionReport {
  readonly cases: number;
  readonly photos: number;
  readonly historyEntries: number;
  readonly mailboxMessages: number;
  readonly evidenceRecords: number;
}

/**
 * Purges everything older than `before`: final cases (with their logs), history index entries and their photos,
 * stored photos, mailbox messages. Open cases are kept (their own deadlines end them first). Safe to run from
 * several processes at once: every step is a delete of what is old enough.
 */
export async function purgeExpired(
  targets: RetentionTargets,
  before: Date,
  now: Date = new Date(),
): Promise<RetentionReport> {
  const cases = await targets.runtime.purge(before);
  const removedHistory = (await targets.history?.purgeBefore(before)) ?? [];
  let photos = 0;
  for (const id of removedHistory) if (await targets.photos.delete(id)) photos++;
  photos += await targets.photos.purgeOlderThan(before);
  const mailboxMessages = (await targets.mailbox?.purgeBefore(before)) ?? 0;
  const evidenceRecords = (await targets.evidence?.purgeExpired(now)) ?? 0;
  return { cases, photos, historyEntries: removedHistory.length, mailboxMessages, evidenceRecords };
}

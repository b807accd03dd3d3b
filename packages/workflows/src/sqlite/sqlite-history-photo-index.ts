import type Database from 'better-sqlite3';
import {
  type HistoryPhotoEntry,
  type HistoryPhotoIndex,
  historyPhotoEntrySchema,
} from '../stores/history-photo-index.js';
import { pageLimit } from '../stores/page-limit.js';
import { migrateComponent, type SqliteComponentMigration } from './component-migrations.js';

const migrations: readonly SqliteComponentMigration[] = [
  {
    version: 1,
    name: 'history photo index',
    // captured_at keeps the text as given; captured_ms orders and purges.
    sql: `
      CREATE TABLE history_photos (
        photo_id TEXT PRIMARY KEY,
        person_key TEXT NOT NULL,
        kind TEXT NOT NULL CHECK (kind IN ('booth', 'registered')),
        captured_at TEXT NOT NULL,
        captured_ms INTEGER NOT NULL,
        case_id TEXT NOT NULL
      ) WITHOUT ROWID;
      CREATE INDEX history_photos_person ON history_photos (person_key, captured_ms DESC, photo_id DESC);
      CREATE INDEX history_photos_captured ON history_photos (captured_ms);
    `,
  },
];

interface EntryRow {
  photo_id: string;
  person_key: string;
  kind: string;
  captured_at: string;
  case_id: string;
}

/** The HistoryPhotoIndex in the SQLite workflow database: `new SqliteHistoryPhotoIndex(store.database)`, then `migrate()`. */
export class SqliteHistoryPhotoIndex implements HistoryPhotoIndex {
  constructor(private readonly db: Database.Database) {}

  /** Create or upgrade the table (idempotent; safe when several processes start at once). */
  async migrate(): Promise<void> {
    migrateComponent(this.db, 'history-photos', migrations);
  }

  async add(entry: HistoryPhotoEntry): Promise<void> {
    const e = historyPhotoEntrySchema.parse(entry);
    this.db
      .prepare(
        `INSERT INTO history_photos (photo_id, person_key, kind, captured_at, captured_ms, case_id)
         VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (photo_id) DO NOTHING`,
      )
      .run(e.photoId, e.personKey, e.kind, e.capturedAt, Date.parse(e.capturedAt), e.caseId);
  }

  async list(
    personKey: string,
    options: { kind?: HistoryPhotoEntry['kind']; limit?: number } = {},
  ): Promise<HistoryPhotoEntry[]> {
    const limit = pageLimit(options.limit, 20);
    const rows = this.db
      .prepare(
        `SELECT photo_id, person_key, kind, captured_at, case_id FROM history_photos
         WHERE person_key = ? AND (? IS NULL OR kind = ?)
         ORDER BY captured_ms DESC, photo_id DESC LIMIT ?`,
      )
      .all(personKey, options.kind ?? null, options.kind ?? null, limit) as EntryRow[];
    return rows.map(toEntry);
  }

  async purgeBefore(before: Date): Promise<string[]> {
    return this.db
      .prepare('DELETE FROM history_photos WHERE captured_ms < ? RETURNING photo_id')
      .pluck()
      .all(before.getTime()) as string[];
  }
}

/** Rows are checked on the way out too: a stored record is a boundary. */
function toEntry(row: EntryRow): HistoryPhotoEntry {
  return historyPhotoEntrySchema.parse({
    personKey: row.person_key,
    photoId: row.photo_id,
    kind: row.kind,
    capturedAt: row.captured_at,
    caseId: row.case_id,
  });
}

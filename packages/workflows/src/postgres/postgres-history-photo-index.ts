import type pg from 'pg';
import {
  type HistoryPhotoEntry,
  type HistoryPhotoIndex,
  historyPhotoEntrySchema,
} from '../stores/history-photo-index.js';
import { pageLimit } from '../stores/page-limit.js';
import type { PostgresComponentMigration } from './component-migrations.js';
import { PostgresComponent } from './postgres-component.js';

const migrations: readonly PostgresComponentMigration[] = [
  {
    version: 1,
    name: 'history photo index',
    // captured_at keeps the text as given; captured_ts orders and purges.
    sql: (s) => `
      CREATE TABLE ${s}.history_photos (
        photo_id text PRIMARY KEY,
        person_key text NOT NULL,
        kind text NOT NULL CHECK (kind IN ('booth', 'registered')),
        captured_at text NOT NULL,
        captured_ts timestamptz NOT NULL,
        case_id text NOT NULL
      );
      CREATE INDEX history_photos_person
        ON ${s}.history_photos (person_key, captured_ts DESC, photo_id COLLATE "C" DESC);
      CREATE INDEX history_photos_captured ON ${s}.history_photos (captured_ts);
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

/**
 * The HistoryPhotoIndex in the PostgreSQL workflow schema:
 * `new PostgresHistoryPhotoIndex(store.pool, { schema: store.schema })`, then `migrate()`.
 */
export class PostgresHistoryPhotoIndex extends PostgresComponent implements HistoryPhotoIndex {
  constructor(pool: pg.Pool, options: { readonly schema?: string } = {}) {
    super(pool, options.schema, 'history-photos', migrations);
  }

  async add(entry: HistoryPhotoEntry): Promise<void> {
    const e = historyPhotoEntrySchema.parse(entry);
    await this.pool.query(
      `INSERT INTO ${this.s}.history_photos (photo_id, person_key, kind, captured_at, captured_ts, case_id)
       VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (photo_id) DO NOTHING`,
      [e.photoId, e.personKey, e.kind, e.capturedAt, new Date(Date.parse(e.capturedAt)), e.caseId],
    );
  }

  async list(
    personKey: string,
    options: { kind?: HistoryPhotoEntry['kind']; limit?: number } = {},
  ): Promise<HistoryPhotoEntry[]> {
    const limit = pageLimit(options.limit, 20);
    const result = await this.pool.query<EntryRow>(
      `SELECT photo_id, person_key, kind, captured_at, case_id FROM ${this.s}.history_photos
       WHERE person_key = $1 AND ($2::text IS NULL OR kind = $2)
       ORDER BY captured_ts DESC, photo_id COLLATE "C" DESC LIMIT $3`,
      [personKey, options.kind ?? null, limit],
    );
    return result.rows.map(toEntry);
  }

  async purgeBefore(before: Date): Promise<string[]> {
    const result = await this.pool.query<{ photo_id: string }>(
      `DELETE FROM ${this.s}.history_photos WHERE captured_ts < $1 RETURNING photo_id`,
      [before],
    );
    return result.rows.map((row) => row.photo_id);
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

import type Database from 'better-sqlite3';

/** One schema change of a store that shares the workflow database. Append-only, like the workflow store's list. */
export interface SqliteComponentMigration {
  readonly version: number;
  readonly name: string;
  readonly sql: string;
}

/**
 * Applies a component's missing migrations (mailbox, history index, W4 stores: each its own numbering, kept apart
 * from the workflow store's `schema_migrations`). IMMEDIATE takes the write lock first, so two processes opening one
 * file at once apply each migration once.
 */
export function migrateComponent(
  db: Database.Database,
  component: string,
  migrations: readonly SqliteComponentMigration[],
): void {
  db.transaction(() => {
    db.exec(`CREATE TABLE IF NOT EXISTS component_migrations (
      component TEXT NOT NULL,
      version INTEGER NOT NULL,
      name TEXT NOT NULL,
      applied_at INTEGER NOT NULL,
      PRIMARY KEY (component, version)
    )`);
    const applied = new Set(
      db
        .prepare('SELECT version FROM component_migrations WHERE component = ?')
        .pluck()
        .all(component)
        .map((v) => Number(v)),
    );
    const record = db.prepare(
      'INSERT INTO component_migrations (component, version, name, applied_at) VALUES (?, ?, ?, ?)',
    );
    for (const migration of migrations) {
      if (applied.has(migration.version)) continue;
      db.exec(migration.sql);
      record.run(component, migration.version, migration.name, Date.now());
    }
  }).immediate();
}

/** JSON for a TEXT column; `undefined` is stored as null. */
export function toJson(value: unknown): string {
  return JSON.stringify(value ?? null);
}

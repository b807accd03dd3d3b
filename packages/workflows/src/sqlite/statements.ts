import type Database from 'better-sqlite3';

const caches = new WeakMap<Database.Database, Map<string, Database.Statement>>();

/**
 * The prepared statement for `sql` on `db`, compiled once: better-sqlite3 compiles the SQL on every `prepare()`,
 * which cost 3–7 % of a W3 application (BENCHMARKS.md). Never toggle a cached statement's modes (`pluck`, `raw`)
 * for one call only: every user of that SQL shares them.
 */
export function statement(db: Database.Database, sql: string): Database.Statement {
  let cache = caches.get(db);
  if (cache === undefined) {
    cache = new Map();
    caches.set(db, cache);
  }
  let prepared = cache.get(sql);
  if (prepared === undefined) {
    prepared = db.prepare(sql);
    cache.set(sql, prepared);
  }
  return prepared;
}

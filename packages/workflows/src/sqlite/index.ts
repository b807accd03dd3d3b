// @mynakit/workflows/sqlite: the embedded store. Node-only (native better-sqlite3), hence its own entry point.
export { type SqliteStoreOptions, SqliteWorkflowStore } from './sqlite-store.js';

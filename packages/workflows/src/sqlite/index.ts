// @mynakit/workflows/sqlite: the embedded store. Node-only (native better-sqlite3), hence its own entry point.
// The mailbox, history index and W4 stores live in the same database: construct them with `store.database`.
export { SqliteHistoryPhotoIndex } from './sqlite-history-photo-index.js';
export { SqliteMailbox } from './sqlite-mailbox.js';
export { SqliteMyNumberVault } from './sqlite-my-number-vault.js';
export { SqliteRateLimiter } from './sqlite-rate-limiter.js';
export { type SqliteStoreOptions, SqliteWorkflowStore } from './sqlite-store.js';
export { SqliteAccountBindingStore, SqliteEvidenceStore } from './sqlite-w4-stores.js';

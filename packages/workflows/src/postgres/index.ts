// @mynakit/workflows/postgres: the PostgreSQL WorkflowStore (Node only; pulls in `pg`).
// The mailbox, history index and W4 stores share its pool and schema: construct them with `store.pool` and
// `{ schema: store.schema }`.

export { MIGRATIONS, type Migration } from './migrations.js';
export { PostgresHistoryPhotoIndex } from './postgres-history-photo-index.js';
export { PostgresMailbox } from './postgres-mailbox.js';
export { PostgresMyNumberVault } from './postgres-my-number-vault.js';
export { PostgresRateLimiter } from './postgres-rate-limiter.js';
export { type PostgresStoreOptions, PostgresWorkflowStore } from './postgres-store.js';
export { PostgresAccountBindingStore, PostgresEvidenceStore } from './postgres-w4-stores.js';

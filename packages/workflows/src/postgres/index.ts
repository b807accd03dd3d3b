// @mynakit/workflows/postgres: the PostgreSQL WorkflowStore (Node only; pulls in `pg`).

export { MIGRATIONS, type Migration } from './migrations.js';
export { type PostgresStoreOptions, PostgresWorkflowStore } from './postgres-store.js';

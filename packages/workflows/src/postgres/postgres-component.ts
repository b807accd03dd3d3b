import type pg from 'pg';
import { migrateComponent, type PostgresComponentMigration } from './component-migrations.js';
import { checkSchemaName } from './schema-name.js';

/**
 * What every store sharing the workflow schema (mailbox, history index, W4 stores, rate limiter) starts from: the
 * pool, the checked schema name, and its own numbered migrations.
 */
export abstract class PostgresComponent {
  readonly schema: string;
  protected readonly pool: pg.Pool;
  /** The quoted schema name, for SQL text. */
  protected readonly s: string;
  readonly #component: string;
  readonly #migrations: readonly PostgresComponentMigration[];

  protected constructor(
    pool: pg.Pool,
    schema: string | undefined,
    component: string,
    migrations: readonly PostgresComponentMigration[],
  ) {
    this.pool = pool;
    this.schema = checkSchemaName(schema);
    this.s = `"${this.schema}"`;
    this.#component = component;
    this.#migrations = migrations;
  }

  /** Create or upgrade the tables (idempotent; safe when several processes start at once). */
  async migrate(): Promise<void> {
    await migrateComponent(this.pool, this.schema, this.#component, this.#migrations);
  }
}

import Database from 'better-sqlite3';
import type { WorkflowStore } from '../engine/store.js';
import { PostgresHistoryPhotoIndex } from '../postgres/postgres-history-photo-index.js';
import { PostgresMailbox } from '../postgres/postgres-mailbox.js';
import { PostgresMyNumberVault } from '../postgres/postgres-my-number-vault.js';
import { PostgresRateLimiter } from '../postgres/postgres-rate-limiter.js';
import { PostgresWorkflowStore } from '../postgres/postgres-store.js';
import { PostgresAccountBindingStore, PostgresEvidenceStore } from '../postgres/postgres-w4-stores.js';
import type { Keyring } from '../privacy/sealed-box.js';
import type { AttemptThrottle, RateLimit } from '../reception/rate-limiter.js';
import { SqliteHistoryPhotoIndex } from '../sqlite/sqlite-history-photo-index.js';
import { SqliteMailbox } from '../sqlite/sqlite-mailbox.js';
import { SqliteMyNumberVault } from '../sqlite/sqlite-my-number-vault.js';
import { SqliteRateLimiter } from '../sqlite/sqlite-rate-limiter.js';
import { SqliteWorkflowStore } from '../sqlite/sqlite-store.js';
import { SqliteAccountBindingStore, SqliteEvidenceStore } from '../sqlite/sqlite-w4-stores.js';
import type { HistoryPhotoIndex } from '../stores/history-photo-index.js';
import type { Mailbox } from '../stores/mailbox.js';
import type { MyNumberVault } from '../w4/my-number-vault.js';
import type { AccountBindingStore, EvidenceStore } from '../w4/stores.js';

/** Every durable store of the server, on one database (so one backup holds one consistent state). */
export interface ServerDatabase {
  readonly kind: 'sqlite' | 'postgres';
  readonly store: WorkflowStore;
  readonly history: HistoryPhotoIndex;
  readonly mailbox: Mailbox;
  /**
   * W3/W4 sign-in challenges: the mailbox's table, on SQLite through a second connection that does not fsync
   * (see `openChallengeConnection`).
   */
  readonly challenges: Mailbox;
  /** W4 account bindings and (sealed) identity evidence. */
  readonly accounts: AccountBindingStore;
  readonly evidence: EvidenceStore;
  /** W4.6 sealed My Numbers; used only when `w4.collectMyNumber` is on. */
  readonly myNumbers: MyNumberVault;
  /** A throttle whose buckets live in the database, so every process shares one allowance per key. */
  rateLimiter(limit: RateLimit, clock: () => number): Promise<AttemptThrottle>;
  close(): Promise<void>;
}

/** Opens `sqlite:FILE` or `postgres://…` and migrates every store (idempotent, safe from several processes). */
export async function openServerDatabase(
  db: string,
  options: { readonly keyring: Keyring; readonly postgresSchema?: string | undefined },
): Promise<ServerDatabase> {
  const { keyring } = options;
  if (db.startsWith('sqlite:')) {
    const file = db.slice('sqlite:'.length);
    const store = await SqliteWorkflowStore.open(file);
    return finishOpening('sqlite', store, async () => ({
      challenges: () => {
        if (file === ':memory:') return { mailbox: new SqliteMailbox(store.database) };
        const connection = openChallengeConnection(file);
        return { mailbox: new SqliteMailbox(connection), close: () => connection.close() };
      },
      history: new SqliteHistoryPhotoIndex(store.database),
      mailbox: new SqliteMailbox(store.database),
      accounts: new SqliteAccountBindingStore(store.database),
      evidence: new SqliteEvidenceStore(store.database, { keyring }),
      myNumbers: new SqliteMyNumberVault(store.database, { keyring }),
      rateLimiter: (limit, clock) => migrated(new SqliteRateLimiter(store.database, limit, clock)),
    }));
  }
  const store = await PostgresWorkflowStore.connect(
    db,
    options.postgresSchema === undefined ? {} : { schema: options.postgresSchema },
  );
  return finishOpening('postgres', store, async () => {
    await store.migrate();
    const shared = { schema: store.schema };
    return {
      challenges: () => ({ mailbox: new PostgresMailbox(store.pool, shared) }),
      history: new PostgresHistoryPhotoIndex(store.pool, shared),
      mailbox: new PostgresMailbox(store.pool, shared),
      accounts: new PostgresAccountBindingStore(store.pool, shared),
      evidence: new PostgresEvidenceStore(store.pool, { ...shared, keyring }),
      myNumbers: new PostgresMyNumberVault(store.pool, { ...shared, keyring }),
      rateLimiter: (limit, clock) =>
        migrated(new PostgresRateLimiter(store.pool, limit, { ...shared, clock })),
    };
  });
}

interface Migratable {
  migrate(): Promise<void>;
}

/** The stores that live beside the workflow store, each still to be migrated. */
interface ComponentStores {
  /** Made once the mailbox table exists. */
  readonly challenges: () => { mailbox: Mailbox; close?: () => void };
  readonly history: HistoryPhotoIndex & Migratable;
  readonly mailbox: Mailbox & Migratable;
  readonly accounts: AccountBindingStore & Migratable;
  readonly evidence: EvidenceStore & Migratable;
  readonly myNumbers: MyNumberVault & Migratable;
  readonly rateLimiter: ServerDatabase['rateLimiter'];
}

/** Creates and migrates the component stores; the workflow store is closed again when that fails. */
async function finishOpening(
  kind: ServerDatabase['kind'],
  store: WorkflowStore,
  create: () => Promise<ComponentStores>,
): Promise<ServerDatabase> {
  try {
    const { challenges: openChallenges, ...components } = await create();
    const { history, mailbox, accounts, evidence, myNumbers } = components;
    for (const part of [history, mailbox, accounts, evidence, myNumbers]) await part.migrate();
    const challenges = openChallenges();
    return {
      kind,
      store,
      ...components,
      challenges: challenges.mailbox,
      close: async () => {
        challenges.close?.();
        await store.close();
      },
    };
  } catch (error) {
    await store.close();
    throw error;
  }
}

/**
 * A second connection to the SQLite file for sign-in challenges, with `synchronous = NORMAL`: a challenge lives for
 * minutes and is single use, so it need not wait for an fsync of its own (two of the three fsyncs of a W3
 * application). In WAL mode the next fully synced commit — the application's case — syncs the WAL up to it, so a
 * redeemed challenge is durable whenever the application it opened is; a power cut before that can only forget an
 * unanswered challenge (the phone asks again).
 */
function openChallengeConnection(file: string): Database.Database {
  const connection = new Database(file);
  connection.pragma('busy_timeout = 5000');
  connection.pragma('journal_mode = WAL');
  connection.pragma('synchronous = NORMAL');
  return connection;
}

async function migrated<T extends Migratable>(limiter: T): Promise<T> {
  await limiter.migrate();
  return limiter;
}

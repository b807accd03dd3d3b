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
    const store = await SqliteWorkflowStore.open(db.slice('sqlite:'.length));
    const history = new SqliteHistoryPhotoIndex(store.database);
    const mailbox = new SqliteMailbox(store.database);
    const accounts = new SqliteAccountBindingStore(store.database);
    const evidence = new SqliteEvidenceStore(store.database, { keyring });
    const myNumbers = new SqliteMyNumberVault(store.database, { keyring });
    try {
      for (const part of [history, mailbox, accounts, evidence, myNumbers]) await part.migrate();
    } catch (error) {
      await store.close();
      throw error;
    }
    return {
      kind: 'sqlite',
      store,
      history,
      mailbox,
      accounts,
      evidence,
      myNumbers,
      async rateLimiter(limit, clock) {
        const limiter = new SqliteRateLimiter(store.database, limit, clock);
        await limiter.migrate();
        return limiter;
      },
      close: () => store.close(),
    };
  }
  const store = await PostgresWorkflowStore.connect(
    db,
    options.postgresSchema === undefined ? {} : { schema: options.postgresSchema },
  );
  try {
    await store.migrate();
    const history = new PostgresHistoryPhotoIndex(store.pool, { schema: store.schema });
    const mailbox = new PostgresMailbox(store.pool, { schema: store.schema });
    const accounts = new PostgresAccountBindingStore(store.pool, { schema: store.schema });
    const evidence = new PostgresEvidenceStore(store.pool, { schema: store.schema, keyring });
    const myNumbers = new PostgresMyNumberVault(store.pool, { schema: store.schema, keyring });
    for (const part of [history, mailbox, accounts, evidence, myNumbers]) await part.migrate();
    return {
      kind: 'postgres',
      store,
      history,
      mailbox,
      accounts,
      evidence,
      myNumbers,
      async rateLimiter(limit, clock) {
        const limiter = new PostgresRateLimiter(store.pool, limit, { schema: store.schema, clock });
        await limiter.migrate();
        return limiter;
      },
      close: () => store.close(),
    };
  } catch (error) {
    await store.close();
    throw error;
  }
}

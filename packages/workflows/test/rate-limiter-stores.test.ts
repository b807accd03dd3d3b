import { afterAll, describe, expect, it } from 'vitest';
import { PostgresRateLimiter, PostgresWorkflowStore } from '../src/postgres/index.js';
import { type AttemptThrottle, type RateLimit, RateLimiter } from '../src/reception/rate-limiter.js';
import { SqliteRateLimiter, SqliteWorkflowStore } from '../src/sqlite/index.js';
import { dropSchema, postgresUrl, randomSchema } from './support/postgres.js';

const limit: RateLimit = { capacity: 3, refillPerSecond: 0.5 };
const schemas: string[] = [];
afterAll(async () => {
  for (const schema of schemas) await dropSchema(schema);
});

interface Throttles {
  /** Two throttles on one backing store, as two server processes would have. */
  first: AttemptThrottle;
  second: AttemptThrottle;
  close(): Promise<void>;
}

const backends: [string, (clock: () => number) => Promise<Throttles>][] = [
  [
    'sqlite (two connections to one file)',
    async (clock) => {
      const file = `/tmp/mynakit-rate-${process.pid}-${Math.random().toString(36).slice(2)}.sqlite`;
      const a = await SqliteWorkflowStore.open(file);
      const b = await SqliteWorkflowStore.open(file);
      const first = new SqliteRateLimiter(a.database, limit, clock);
      const second = new SqliteRateLimiter(b.database, limit, clock);
      await first.migrate();
      await second.migrate();
      return { first, second, close: () => Promise.all([a.close(), b.close()]).then(() => undefined) };
    },
  ],
  [
    'postgres (two pools on one schema)',
    async (clock) => {
      const schema = randomSchema();
      schemas.push(schema);
      const a = await PostgresWorkflowStore.connect(postgresUrl, { schema });
      const b = await PostgresWorkflowStore.connect(postgresUrl, { schema });
      await a.migrate();
      const first = new PostgresRateLimiter(a.pool, limit, { schema, clock });
      const second = new PostgresRateLimiter(b.pool, limit, { schema, clock });
      await first.migrate();
      await second.migrate();
      return { first, second, close: () => Promise.all([a.close(), b.close()]).then(() => undefined) };
    },
  ],
];

describe.each(backends)(
  'Rule: reception numbers cannot be enumerated — kiosk throttle on %s',
  (_name, open) => {
    it('shares one allowance per kiosk between processes, refills over time, and keeps kiosks apart', async () => {
      let now = 1_000_000;
      const throttles = await open(() => now);
      try {
        const answers = [
          await throttles.first.take('kiosk:a'),
          await throttles.second.take('kiosk:a'),
          await throttles.first.take('kiosk:a'),
          await throttles.second.take('kiosk:a'),
        ];
        expect(answers.map((a) => a.allowed)).toEqual([true, true, true, false]);
        expect(answers[3]!.retryAfterMs).toBe(2000);
        expect((await throttles.first.take('kiosk:b')).allowed).toBe(true);
        now += 2000;
        expect((await throttles.second.take('kiosk:a')).allowed).toBe(true);
        expect((await throttles.first.take('kiosk:a')).allowed).toBe(false);
      } finally {
        await throttles.close();
      }
    });

    it('never lets concurrent attempts spend more than the capacity', async () => {
      const throttles = await open(() => 5_000_000);
      try {
        const attempts = await Promise.all(
          Array.from({ length: 12 }, (_, i) =>
            (i % 2 === 0 ? throttles.first : throttles.second).take('kiosk:c'),
          ),
        );
        expect(attempts.filter((a) => a.allowed)).toHaveLength(limit.capacity);
      } finally {
        await throttles.close();
      }
    });
  },
);

it('the in-memory throttle follows the same arithmetic', () => {
  let now = 0;
  const memory = new RateLimiter(limit, () => now);
  expect([1, 2, 3, 4].map(() => memory.take('k').allowed)).toEqual([true, true, true, false]);
  now += 2000;
  expect(memory.take('k').allowed).toBe(true);
});

import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { myNumberCheckDigit } from '@mynakit/card';
import type { EkycVerifier } from '@mynakit/jpki';
import { afterAll, describe, expect, it } from 'vitest';
import type { FaceCheckPort, FaceCheckResult } from '../src/checks/ports.js';
import { PostgresMyNumberVault, PostgresWorkflowStore } from '../src/postgres/index.js';
import { generateKeyBase64, Keyring } from '../src/privacy/sealed-box.js';
import { SqliteMyNumberVault, SqliteWorkflowStore } from '../src/sqlite/index.js';
import { EkycService } from '../src/w4/ekyc-service.js';
import { createW4HttpHandler } from '../src/w4/http-handlers.js';
import { InMemoryMyNumberVault, type MyNumberVault } from '../src/w4/my-number-vault.js';
import { InMemoryAccountBindingStore, InMemoryEvidenceStore } from '../src/w4/stores.js';
import { dropSchema, postgresUrl, randomSchema } from './support/postgres.js';
import { evidenceRecord } from './support/w4-stores-contract.js';

const keyring = await Keyring.fromConfig({ current: 'k1', keys: [{ id: 'k1', key: generateKeyBase64() }] });
const body11 = '12345678901';
const validMyNumber = `${body11}${myNumberCheckDigit(body11)}`;
const wrongCheckDigit = `${body11}${(Number(myNumberCheckDigit(body11)) + 1) % 10}`;

/** The verifier is not used by the optional steps: they act on a customer whose identity was verified before. */
const unusedVerifier = {} as EkycVerifier;

class FakeFaceCheck implements FaceCheckPort {
  inputs: { live: Uint8Array; card: Uint8Array; history: readonly Uint8Array[] }[] = [];
  constructor(private readonly outcome: FaceCheckResult['outcome']) {}
  async compare(input: { live: Uint8Array; card: Uint8Array; history: readonly Uint8Array[] }) {
    this.inputs.push(input);
    return { outcome: this.outcome, qualityFailures: [], checkedAt: '2026-12-01T00:00:00.000Z' };
  }
}

async function serviceWith(options: { faceCheck?: FaceCheckPort; myNumberVault?: MyNumberVault }) {
  const evidence = new InMemoryEvidenceStore();
  await evidence.put(evidenceRecord({ id: 'e1', customerId: 'verified-1' }));
  return new EkycService({
    verifier: unusedVerifier,
    accounts: new InMemoryAccountBindingStore(),
    evidence,
    verifierId: 'verifier-1',
    ...options,
  });
}

async function serve(service: EkycService) {
  const server = createServer(createW4HttpHandler(service));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    post: async (path: string, body: unknown) => {
      const response = await fetch(`${base}${path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
      return { status: response.status, text: await response.text() };
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

describe('W4.6 My Number collection only when explicitly enabled, never logged', () => {
  it('is refused without a vault (the default), without reading or echoing the value', async () => {
    const http = await serve(await serviceWith({}));
    try {
      const answer = await http.post('/w4/my-number', { customerId: 'verified-1', myNumber: validMyNumber });
      expect(answer.status).toBe(403);
      expect(answer.text).toContain('MY_NUMBER_COLLECTION_DISABLED');
      expect(answer.text).not.toContain(validMyNumber);
    } finally {
      await http.close();
    }
  });

  it('with a vault: keeps a verified customer’s number sealed; refuses a bad check digit and unknown customers', async () => {
    const vault = new InMemoryMyNumberVault(keyring);
    const http = await serve(await serviceWith({ myNumberVault: vault }));
    try {
      const bad = await http.post('/w4/my-number', { customerId: 'verified-1', myNumber: wrongCheckDigit });
      expect(bad.status).toBe(400);
      expect(bad.text).toContain('MY_NUMBER_INVALID');
      expect(bad.text).not.toContain(wrongCheckDigit);
      const unknown = await http.post('/w4/my-number', { customerId: 'nobody', myNumber: validMyNumber });
      expect(unknown.status).toBe(404);
      expect(await vault.has('nobody')).toBe(false);

      const stored = await http.post('/w4/my-number', { customerId: 'verified-1', myNumber: validMyNumber });
      expect(stored.status).toBe(201);
      expect(stored.text).not.toContain(validMyNumber);
      expect(await vault.reveal('verified-1')).toBe(validMyNumber);
    } finally {
      await http.close();
    }
  });
});

describe('W4.5 optional selfie match against the card face photo', () => {
  it('compares the selfie with the card photo only (no history) for a verified customer', async () => {
    const face = new FakeFaceCheck('no-match');
    const service = await serviceWith({ faceCheck: face });
    const selfie = new Uint8Array([1, 2, 3]);
    const cardPhoto = new Uint8Array([4, 5, 6]);
    const outcome = await service.matchSelfie({ customerId: 'verified-1', selfie, cardPhoto });
    expect(outcome).toMatchObject({ customerId: 'verified-1', outcome: 'no-match', score: null });
    expect(face.inputs).toEqual([{ live: selfie, card: cardPhoto, history: [] }]);
    await expect(service.matchSelfie({ customerId: 'nobody', selfie, cardPhoto })).rejects.toMatchObject({
      code: 'UNKNOWN_CUSTOMER',
    });
    expect(face.inputs).toHaveLength(1);
  });

  it('answers 501 when no face check is configured', async () => {
    const http = await serve(await serviceWith({}));
    try {
      const answer = await http.post('/w4/selfie', {
        customerId: 'verified-1',
        selfie: 'AQID',
        cardPhoto: 'BAUG',
      });
      expect(answer.status).toBe(501);
      expect(answer.text).toContain('SELFIE_MATCH_NOT_CONFIGURED');
    } finally {
      await http.close();
    }
  });
});

const schemas: string[] = [];
afterAll(async () => {
  for (const schema of schemas) await dropSchema(schema);
});

describe.each([
  [
    'sqlite',
    async () => {
      const store = await SqliteWorkflowStore.open(':memory:');
      return {
        vault: new SqliteMyNumberVault(store.database, { keyring }),
        raw: () => JSON.stringify(store.database.prepare('SELECT * FROM w4_my_numbers').all()),
        close: () => store.close(),
      };
    },
  ],
  [
    'postgres',
    async () => {
      const schema = randomSchema();
      schemas.push(schema);
      const store = await PostgresWorkflowStore.connect(postgresUrl, { schema });
      await store.migrate();
      return {
        vault: new PostgresMyNumberVault(store.pool, { schema, keyring }),
        raw: async () =>
          JSON.stringify((await store.pool.query(`SELECT * FROM "${schema}".w4_my_numbers`)).rows),
        close: () => store.close(),
      };
    },
  ],
])('W4.6 My Number vault on %s', (_name, open) => {
  it('stores the number sealed (never in clear), reveals and deletes it', async () => {
    const { vault, raw, close } = await open();
    try {
      await (vault as SqliteMyNumberVault | PostgresMyNumberVault).migrate();
      await vault.put('c-1', validMyNumber, new Date());
      await vault.put('c-1', validMyNumber, new Date()); // replacing is allowed
      expect(await raw()).not.toContain(validMyNumber);
      expect(await vault.has('c-1')).toBe(true);
      expect(await vault.reveal('c-1')).toBe(validMyNumber);
      expect(await vault.reveal('c-2')).toBeNull();
      expect(await vault.delete('c-1')).toBe(true);
      expect(await vault.has('c-1')).toBe(false);
    } finally {
      await close();
    }
  });
});

import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateKeyBase64 } from '@mynakit/workflows';
import {
  describeConfig,
  generateApiKey,
  loadServerConfig,
  loadTrustAnchor,
  parseServerConfig,
  ServerConfigError,
} from '@mynakit/workflows/server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const key = generateKeyBase64();
const pepper = Buffer.alloc(32, 7).toString('base64');
const booth = generateApiKey({ id: 'booth-1', role: 'booth' });
const minimal = {
  db: 'sqlite:db.sqlite',
  dataDir: 'data',
  keyring: { current: 'k1', keys: [{ id: 'k1', key }] },
  pepper,
  apiKeys: [booth.entry],
};

describe('server configuration', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'mynakit-config-'));
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('fills defaults and resolves relative paths against the config file', async () => {
    const file = join(dir, 'server.json');
    await writeFile(
      file,
      JSON.stringify({
        ...minimal,
        jlis: {
          url: 'http://127.0.0.1:9/',
          trustAnchors: { sign: ['roots/sign.pem'], auth: ['base64:AAAA'] },
        },
      }),
    );
    const config = await loadServerConfig(file);
    expect(config.db).toBe(`sqlite:${join(dir, 'db.sqlite')}`);
    expect(config.dataDir).toBe(join(dir, 'data'));
    expect(config.jlis?.trustAnchors).toEqual({ sign: [join(dir, 'roots/sign.pem')], auth: ['base64:AAAA'] });
    expect(config.jlis?.allowTestHierarchy).toBe(false);
    expect(config).toMatchObject({
      host: '127.0.0.1',
      port: 8080,
      w2: { mode: 'local' },
      retention: { days: 90 },
      worker: { intervalMs: 50 },
      w3: { expiryMs: 24 * 60 * 60 * 1000, confirmTimeoutMs: 180_000 },
    });

    // Command-line flags win and are taken as given.
    const overridden = await loadServerConfig(file, {
      db: 'postgres://u:pw@db/x',
      port: 0,
      dataDir: '/srv/photos',
    });
    expect(overridden).toMatchObject({ db: 'postgres://u:pw@db/x', port: 0, dataDir: '/srv/photos' });
  });

  it('describes itself without secrets', () => {
    const config = parseServerConfig({ ...minimal, db: 'postgres://mynakit:hunter2@db.internal/mynakit' });
    const text = JSON.stringify(describeConfig(config));
    for (const secret of [key, pepper, booth.entry.sha256, 'hunter2']) expect(text).not.toContain(secret);
    expect(text).toContain('booth-1');
  });

  it('refuses invalid configurations, naming paths but never values', () => {
    const cases: [unknown, string][] = [
      [{ ...minimal, db: 'mysql://x' }, 'db'],
      [{ ...minimal, pepper: 'c2hvcnQ=' }, 'pepper'],
      [{ ...minimal, keyring: { current: 'k2', keys: [{ id: 'k1', key }] } }, 'keyring'],
      [{ ...minimal, w2: { mode: 'admin-server' } }, 'w2.adminServerUrl'],
      [{ ...minimal, unknownField: 1 }, '(root)'],
    ];
    for (const [input, path] of cases) {
      let error: unknown;
      try {
        parseServerConfig(input);
      } catch (caught) {
        error = caught;
      }
      expect(error).toBeInstanceOf(ServerConfigError);
      expect((error as Error).message).toContain(path);
      for (const secret of [key, pepper, 'c2hvcnQ=']) expect((error as Error).message).not.toContain(secret);
    }
  });

  it('loads trust anchors from PEM or DER files and from base64', async () => {
    const der = new Uint8Array(Buffer.from('3003020101', 'hex'));
    const b64 = Buffer.from(der).toString('base64');
    await writeFile(join(dir, 'root.der'), der);
    await writeFile(
      join(dir, 'root.pem'),
      `-----BEGIN CERTIFICATE-----\n${b64}\n-----END CERTIFICATE-----\n`,
    );
    expect(await loadTrustAnchor(join(dir, 'root.der'))).toEqual(der);
    expect(await loadTrustAnchor(join(dir, 'root.pem'))).toEqual(der);
    expect(await loadTrustAnchor(`base64:${b64}`)).toEqual(der);
  });
});

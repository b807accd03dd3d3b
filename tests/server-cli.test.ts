import { createHash } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli, spawnCli, waitForOutput } from './support/cli.js';

describe('mynakit server', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'mynakit-server-cli-'));
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('keygen prints a key once and a config entry that holds only its SHA-256', async () => {
    const result = await runCli(['server', 'keygen', '--role', 'booth', '--id', 'booth-1']);
    expect(result.code, result.stderr).toBe(0);
    const { key, entry } = JSON.parse(result.stdout);
    expect(key).toMatch(/^mk_[A-Za-z0-9_-]{43}$/);
    expect(entry).toEqual({
      id: 'booth-1',
      role: 'booth',
      sha256: createHash('sha256').update(key).digest('hex'),
    });
    const bad = await runCli(['server', 'keygen', '--role', 'admin', '--id', 'x']);
    expect(bad.code).not.toBe(0);
  });

  it('runs on SQLite from a config file, prints its URL but no secret, and stops on SIGTERM', async () => {
    const secrets = await runCli(['server', 'keygen', '--secrets']);
    expect(secrets.code, secrets.stderr).toBe(0);
    const { keyring, pepper } = JSON.parse(secrets.stdout);
    const { key, entry } = JSON.parse(
      (await runCli(['server', 'keygen', '--role', 'municipality', '--id', 'city-1'])).stdout,
    );
    const config = join(dir, 'server.json');
    await writeFile(
      config,
      JSON.stringify({ db: 'sqlite:ignored.sqlite', dataDir: 'data', keyring, pepper, apiKeys: [entry] }),
    );

    const child = spawnCli([
      'server',
      '--config',
      config,
      '--db',
      `sqlite:${join(dir, 'db.sqlite')}`,
      '--port',
      '0',
    ]);
    let stdout = '';
    child.stdout?.on('data', (chunk) => {
      stdout += chunk;
    });
    let stderr = '';
    child.stderr?.on('data', (chunk) => {
      stderr += chunk;
    });
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    try {
      const banner = await waitForOutput(child, /listening on (http:\/\/\S+)/);
      const url = /listening on (http:\/\/\S+)/.exec(banner)![1]!;
      expect((await fetch(`${url}healthz`)).status).toBe(200);
      const review = await fetch(`${url}review/api/cases`, { headers: { authorization: `Bearer ${key}` } });
      // The key works; review needs the booth workflows, which need J-LIS and a face check in the config.
      expect(review.status).toBe(404);
      expect((await fetch(`${url}review/api/cases`)).status).toBe(401);
    } finally {
      child.kill('SIGTERM');
    }
    expect(await exited).toBe(0);
    for (const secret of [pepper, keyring.keys[0].key, key, entry.sha256]) {
      expect(stdout).not.toContain(secret);
      expect(stderr).not.toContain(secret);
    }
  });

  it('refuses an incomplete configuration, naming the missing fields only', async () => {
    const config = join(dir, 'partial.json');
    const pepper = 'c2VjcmV0LXBlcHBlci12YWx1ZS0xMjM0NTY3ODkw';
    await writeFile(
      config,
      JSON.stringify({ dataDir: 'data', pepper, keyring: { current: 'k1', keys: [] } }),
    );
    const result = await runCli(['server', '--config', config, '--db', `sqlite:${join(dir, 'p.sqlite')}`]);
    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain('INVALID_CONFIG');
    expect(result.stderr).toContain('keyring');
    expect(result.stderr).not.toContain(pepper);
  });
});

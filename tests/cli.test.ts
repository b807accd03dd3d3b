import { getPersona } from '@mynakit/testkit';
import { describe, expect, it } from 'vitest';
import { runCli } from './support/cli.js';

describe('mynakit testkit personas', () => {
  it('lists the personas with their test PINs as JSON', async () => {
    const result = await runCli(['testkit', 'personas', '--json']);
    expect(result.code).toBe(0);
    const personas = JSON.parse(result.stdout) as { id: string; pins: { authPin: string } }[];
    const taro = getPersona('taro');
    expect(personas.find((p) => p.id === 'taro')?.pins.authPin).toBe(taro.pins.auth);
    expect(personas.length).toBeGreaterThanOrEqual(5);
  });

  it('refuses an unknown certificate name with a usage error', async () => {
    const result = await runCli(['cert', 'read', 'nonsense']);
    expect(result.code).not.toBe(0);
    expect(result.stderr).toMatch(/auth-ca/);
  });
});

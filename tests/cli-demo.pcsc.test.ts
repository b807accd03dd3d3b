import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { collationNumberB, getPersona } from '@mynakit/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CliResult, spawnCli } from './support/cli.js';

// The demo uses its own vpcd reader ("Virtual PCD 00 01"), so it does not collide with tests on "… 00 00".
const PERSONAS = ['taro', 'kiyoshi', 'hanako', 'hikaru', 'yoshiko'].map(getPersona);

const EXPECTED: Record<string, string> = {
  'w1.outcome': 'completed',
  'w1.face': 'match',
  'w1.certificate': 'valid',
  'w1.renewed': 'true',
  'w1hold.first': 'completed',
  'w1hold.history': 'true',
  'w1hold.held': 'true',
  'w1hold.rule': 'similarity-delta',
  'w1hold.outcome': 'completed',
  'w1hold.review': 'approve',
  'w2.outcome': 'completed',
  'w2.face': 'match',
  'w2.registered': 'true',
  'w3.request': 'true',
  'w3.answer': 'printing',
  'w3.kiosk': 'printed',
  'w3.document': 'true',
  'w3.single-use': 'not-available',
  'w4.login': 'true',
  'w4.identity': 'true',
  'w4.recheck-before': 'valid',
  'w4.recheck-after': 'revoked',
  'w4.meaning': 'basic-four-changed',
  'w4.ocsp': 'revoked',
};

interface DemoJson {
  ok: boolean;
  elapsedMs: number;
  report: string;
  outcomes: { id: string; expected: string; actual: string; ok: boolean }[];
  timeline: { elapsedMs: number; workflow: string; step: string }[];
}

/** Secrets of every persona the demo uses: long ones as plain text, 4-digit PINs as JSON strings or words. */
function leakedSecrets(text: string): string[] {
  const leaks: string[] = [];
  for (const p of PERSONAS) {
    const long = [p.myNumber, p.pins.sign, collationNumberB(p)].filter((s): s is string => s !== null);
    for (const secret of long) if (text.includes(secret)) leaks.push(`${p.id}: long secret`);
    for (const pin of [p.pins.auth, p.pins.textAp]) {
      if (new RegExp(`"${pin}"|\\bPIN\\W+${pin}\\b`, 'i').test(text)) leaks.push(`${p.id}: PIN`);
    }
    if (text.includes(p.name) || text.includes(p.address)) leaks.push(`${p.id}: basic four`);
  }
  return leaks;
}

/** Like `runCli`, but the child is killed if it outlives the hook, so a hung run never lingers. */
function runDemo(args: string[]): Promise<CliResult> {
  const child = spawnCli(args);
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (chunk) => {
    stdout += chunk;
  });
  child.stderr?.on('data', (chunk) => {
    stderr += chunk;
  });
  const timer = setTimeout(() => child.kill('SIGKILL'), 170_000);
  return new Promise((resolve) =>
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    }),
  );
}

describe('mynakit demo (pcscd, mock J-LIS, reference server)', () => {
  let dir: string;
  let result: CliResult;
  let reportPath: string;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'mynakit-demo-test-'));
    reportPath = join(dir, 'report.html');
    result = await runDemo(['demo', '--json', '--report', reportPath]);
  }, 180_000);
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('exits 0 with every expected outcome in one JSON document', () => {
    expect(result.code, result.stderr).toBe(0);
    const run = JSON.parse(result.stdout) as DemoJson;
    expect(run.ok).toBe(true);
    const actual = Object.fromEntries(run.outcomes.map((o) => [o.id, o.actual]));
    expect(actual).toEqual(EXPECTED);
    expect(run.outcomes.every((o) => o.ok)).toBe(true);
    expect(run.report).toBe(reportPath);
    const workflows = new Set(run.timeline.map((t) => t.workflow));
    for (const w of ['setup', 'W1', 'W1-hold', 'W2', 'W3', 'W4']) expect(workflows).toContain(w);
    expect(run.timeline.map((t) => t.step)).toContain('booth: held-for-review');
  });

  it('writes a self-contained HTML report with the photos, scores, rule and OCSP evidence', () => {
    expect(existsSync(reportPath)).toBe(true);
    const html = readFileSync(reportPath, 'utf8');
    // Live photos (JPEG), card photos converted from JPEG 2000 to PNG, and the held case's history photo.
    expect(html.match(/<img src="data:image\/jpeg;base64,/g)?.length).toBeGreaterThanOrEqual(4);
    expect(html.match(/<img src="data:image\/png;base64,/g)?.length).toBeGreaterThanOrEqual(3);
    expect(html).toContain('history photo 1');
    expect(html).toMatch(/sim\(live, card\)<\/th><td>0\.\d{3}/);
    expect(html).toMatch(/<th>rule that decided<\/th><td>similarity-delta<\/td>/);
    expect(html).toContain('<th>δ (delta threshold)</th><td>0.2</td>');
    expect(html).toContain('OCSP answer after the move');
    expect(html).toMatch(/<th>reason<\/th><td>affiliationChanged<\/td>/);
    expect(html).toContain('<th>decision</th><td>approve</td>');
    expect(html).not.toMatch(/<(script|link)\b|src="http/);
  });

  it('never prints or writes a PIN, My Number or basic four', () => {
    const html = readFileSync(reportPath, 'utf8').replace(/data:image\/[a-z]+;base64,[A-Za-z0-9+/=]+/g, '');
    expect(leakedSecrets(result.stdout)).toEqual([]);
    expect(leakedSecrets(result.stderr)).toEqual([]);
    expect(leakedSecrets(html)).toEqual([]);
  });
});

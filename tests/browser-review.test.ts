import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium } from './support/browser.js';
import { type Json, persona, type ServerFixture, startServerFixture } from './support/server-fixture.js';

/** Long-polls a registration until it reaches one of `statuses`. */
async function waitForStatus(fx: ServerFixture, caseId: string, statuses: readonly string[]): Promise<Json> {
  let since = 0;
  for (let round = 0; round < 60; round++) {
    const { json } = await fx.request(`/w2/registrations/${caseId}?wait=5&since=${since}`, {
      key: fx.keys.booth,
    });
    if (statuses.includes(json.status)) return json;
    since = json.version;
  }
  throw new Error(`never reached ${statuses.join('|')}`);
}

async function register(fx: ServerFixture, idempotencyKey: string): Promise<string> {
  const applied = await fx.request('/w2/registrations', {
    key: fx.keys.booth,
    body: await fx.application(),
    headers: { 'idempotency-key': idempotencyKey },
  });
  expect(applied.status, JSON.stringify(applied.json)).toBe(202);
  return applied.json.caseId;
}

describe('municipality review page in headless Chromium', () => {
  let fx: ServerFixture;
  let heldCaseId: string;

  beforeAll(async () => {
    fx = await startServerFixture({ face: 'match' });
    // A first registration passes: its photo becomes a registered (history) photo of this person.
    const first = await register(fx, 'browser-review-0001');
    expect((await waitForStatus(fx, first, ['completed', 'rejected'])).status).toBe('completed');
    // The second one is held by the similarity-delta rule and compared with that history photo.
    fx.face.outcome = 'hold';
    heldCaseId = await register(fx, 'browser-review-0002');
    expect((await waitForStatus(fx, heldCaseId, ['held', 'rejected', 'completed'])).status).toBe('held');
  });
  afterAll(() => fx?.close());

  it('shows a held case with its photos and scores, and an approval with a reason lets it proceed', async () => {
    const browser = await launchChromium();
    const problems: string[] = [];
    try {
      const tab = await browser.newPage();
      tab.on('console', (m) => {
        if (m.type() === 'error') problems.push(m.text());
      });
      tab.on('pageerror', (e) => problems.push(e.message));
      await tab.goto(`${fx.base}/review/`);

      // Without a key the page only asks for one.
      expect(await tab.isVisible('#login')).toBe(true);
      expect(await tab.isVisible('#app')).toBe(false);
      await tab.fill('[data-testid=api-key]', fx.keys.municipality);
      await tab.click('[data-testid=key-save]');

      const row = `[data-testid=case-row][data-case-id="${heldCaseId}"]`;
      await tab.waitForSelector(row);
      expect(await tab.locator('[data-testid=case-row]').count()).toBe(1);
      expect(await tab.evaluate(() => sessionStorage.getItem('mynakit-review-key'))).toBe(
        fx.keys.municipality,
      );
      await tab.click(row);

      await tab.waitForFunction(() => {
        const imgs = Array.from(document.querySelectorAll<HTMLImageElement>('[data-testid=photos] img'));
        return imgs.length === 3 && imgs.every((img) => img.complete && img.naturalWidth > 0);
      });
      const photos = await tab.evaluate(() =>
        Array.from(document.querySelectorAll<HTMLImageElement>('[data-testid=photos] img')).map((img) => ({
          testid: img.dataset.testid,
          width: img.naturalWidth,
          blob: img.src.startsWith('blob:'),
        })),
      );
      expect(photos).toEqual([
        { testid: 'photo-live', width: 96, blob: true },
        // The chip photo is JPEG 2000 on the card: served as PNG at its size.
        { testid: 'photo-card', width: 240, blob: true },
        { testid: 'photo-history', width: 96, blob: true },
      ]);

      const text = async (testid: string) => (await tab.textContent(`[data-testid=${testid}]`))?.trim();
      expect(await text('case-status')).toBe('held');
      expect(await text('face-outcome')).toBe('hold');
      expect(await text('face-rule')).toBe('similarity-delta');
      expect(await text('score-card')).toBe('0.740');
      expect(await text('score-history')).toBe('0.420');
      expect(await text('score-delta')).toBe('0.320');
      expect(await text('threshold-card')).toBe('0.550');
      expect(await text('threshold-delta')).toBe('0.200');
      expect(await text('certificate-valid')).toBe('yes');
      expect(await tab.textContent('#holder')).toContain(persona.birthDate);

      // A reason is required.
      await tab.click('[data-testid=approve]');
      await tab.waitForSelector('[data-testid=error]:not([hidden])');
      expect(await text('error')).toBe('A reason is required.');
      expect(
        (await fx.request(`/review/api/cases/${heldCaseId}`, { key: fx.keys.municipality })).json.status,
      ).toBe('held');

      await tab.fill('[data-testid=decision-reason]', 'Compared in person with the card photo: same person.');
      await tab.click('[data-testid=approve]');
      await tab.waitForSelector('[data-testid=decision-result][data-status]');
      expect(await text('decision-result')).toMatch(/^Recorded: approve/);

      // The case proceeds: registered in local mode, completed.
      const done = await waitForStatus(fx, heldCaseId, ['completed', 'rejected', 'expired']);
      expect(done.status).toBe('completed');
      const record = await fx.request(`/review/api/cases/${heldCaseId}`, { key: fx.keys.municipality });
      expect(record.json.review).toMatchObject({
        reviewerId: 'municipality-1',
        decision: 'approve',
        reason: 'Compared in person with the card photo: same person.',
      });

      // The audit trail on the page names the reviewer and the reason.
      await tab.selectOption('[data-testid=status-filter]', 'all');
      await tab.click(`[data-testid=case-row][data-case-id="${heldCaseId}"]`);
      await tab.waitForFunction(
        () => document.querySelector('[data-testid=case-status]')?.textContent === 'completed',
      );
      const audit = await tab.locator('[data-testid=audit-entry]').allTextContents();
      expect(audit.some((line) => line.includes('review-decided · approve by municipality-1'))).toBe(true);
      expect(await tab.isVisible('[data-testid=decision]')).toBe(false);
    } finally {
      await browser.close();
    }
    expect(problems).toEqual([]);
  }, 90_000);
});

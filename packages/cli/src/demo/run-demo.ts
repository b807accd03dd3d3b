import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { closeFaceEngine, faceEngine, startMockEnvironment } from '@mynakit/testkit/environment';
import { type DemoContext, runScenario } from './context.js';
import { assertVpcdReaderFree } from './pcscd.js';
import { prepareFaces } from './photos.js';
import { renderReport } from './report-html.js';
import type { ReportData } from './report-model.js';
import { ReviewApi } from './review-api.js';
import { registration, renewalHeldThenApproved, renewalStraightThrough } from './scenarios/booth.js';
import { issuanceWithReceptionNumber } from './scenarios/w3.js';
import { ekycLoginIdentityRecheck } from './scenarios/w4.js';
import { type Outcome, Timeline, type TimelineEntry } from './timeline.js';

export interface DemoOptions {
  /** vpcd port of the reader the virtual cards go into (35963 → "Virtual PCD 00 00", 35964 → "… 00 01"). */
  readonly port: number;
  readonly reportPath: string;
  /** Progress lines for people; absent for `--json`. */
  readonly print?: (line: string) => void;
}

export interface DemoRun {
  readonly ok: boolean;
  readonly elapsedMs: number;
  readonly reader: string;
  readonly report: string;
  readonly outcomes: readonly Outcome[];
  readonly timeline: readonly TimelineEntry[];
  /** The report's data without the photos (scores, evidence, certificate details). */
  readonly results: unknown;
}

/**
 * The whole product in one run: the mock J-LIS and the reference server on SQLite in a temporary directory, virtual
 * cards of five personas in one pcscd reader one after the other, and W1 (straight and held → approved), W2, W3 and
 * W4 through the device clients and HTTP APIs an integrator uses. Writes the HTML report; every outcome is checked.
 */
export async function runDemo(options: DemoOptions): Promise<DemoRun> {
  const reader = await assertVpcdReaderFree(options.port);
  const timeline = new Timeline(options.print);
  timeline.step('setup', `pcscd lists "${reader}" and it is free`);

  const [env, faces] = await Promise.all([
    startMockEnvironment({ db: 'sqlite' }).then((env) => {
      timeline.step(
        'setup',
        'mock J-LIS, administrative and issuance servers and the reference server (SQLite) up',
      );
      return env;
    }),
    faceEngine()
      .then((engine) => prepareFaces([1, 2, 3, 4], engine))
      .then((faces) => {
        timeline.step('setup', 'live and card photos prepared from 4 real faces');
        return faces;
      }),
  ]).catch(async (error: unknown) => {
    await closeFaceEngine();
    throw error;
  });

  const report: ReportData = { generatedAt: new Date().toISOString(), boothCases: [] };
  const ctx: DemoContext = {
    env,
    port: options.port,
    timeline,
    report,
    review: new ReviewApi(env.url, env.apiKeys.municipality),
  };
  const face = (n: 1 | 2 | 3 | 4) => faces.get(n)!;
  try {
    await runScenario(ctx, 'W1', 'W1 renewal straight through (taro)', () =>
      renewalStraightThrough(ctx, face(1)),
    );
    await runScenario(ctx, 'W1-hold', 'W1 renewal held by the similarity-delta rule (kiyoshi)', () =>
      renewalHeldThenApproved(ctx, face(3), face(4)),
    );
    await runScenario(ctx, 'W2', 'W2 photo registration (hanako)', () => registration(ctx, face(2)));
    await runScenario(ctx, 'W3', 'W3 phone application → kiosk printout (hikaru)', () =>
      issuanceWithReceptionNumber(ctx),
    );
    await runScenario(ctx, 'W4', 'W4 eKYC login, identity, re-check after a move (yoshiko)', () =>
      ekycLoginIdentityRecheck(ctx),
    );
  } finally {
    await env.close();
    await closeFaceEngine();
  }

  const reportPath = resolve(options.reportPath);
  const elapsedMs = timeline.elapsed();
  const run = { ok: timeline.ok, elapsedMs, timeline: timeline.entries, outcomes: timeline.outcomes };
  await mkdir(dirname(reportPath), { recursive: true });
  await writeFile(reportPath, renderReport(report, run), { mode: 0o600 });
  timeline.step('report', `written to ${reportPath}`);
  return {
    ...run,
    reader,
    report: reportPath,
    timeline: timeline.entries,
    results: {
      boothCases: report.boothCases.map(({ photos, ...rest }) => ({
        ...rest,
        photos: photos.map(({ label, score }) => ({ label, ...(score !== undefined && { score }) })),
      })),
      w3: report.w3,
      w4: report.w4,
    },
  };
}

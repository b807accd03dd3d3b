import type { MockEnvironment } from '@mynakit/testkit/environment';
import type { ReportData } from './report-model.js';
import type { ReviewApi } from './review-api.js';
import type { Timeline } from './timeline.js';

/** What every scenario works with. */
export interface DemoContext {
  readonly env: MockEnvironment;
  /** The vpcd port of the reader the virtual cards go into. */
  readonly port: number;
  readonly timeline: Timeline;
  readonly report: ReportData;
  readonly review: ReviewApi;
}

/**
 * Runs one scenario; a failure becomes a failed outcome (its error code and message only: device, card and server
 * errors name routes, statuses and codes, never PINs or card data) and the demo goes on with the next scenario.
 */
export async function runScenario(
  ctx: DemoContext,
  workflow: string,
  title: string,
  scenario: () => Promise<void>,
): Promise<void> {
  ctx.timeline.step(workflow, `── ${title}`);
  try {
    await scenario();
  } catch (error) {
    const code = (error as { code?: unknown } | null)?.code;
    const prefix = typeof code === 'string' ? `${code}: ` : '';
    const message = error instanceof Error ? error.message : 'non-error thrown';
    ctx.timeline.expect(
      `${workflow}.error`,
      workflow,
      `${title} ran to its end`,
      'yes',
      `${prefix}${message}`,
    );
  }
}

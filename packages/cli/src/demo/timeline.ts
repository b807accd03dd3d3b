/** One line of the demo's progress: which workflow, what happened, when (ms since the start). */
export interface TimelineEntry {
  readonly elapsedMs: number;
  readonly workflow: string;
  readonly step: string;
  readonly detail?: string;
}

/** One checked result: what the demo expected and what it got. */
export interface Outcome {
  readonly id: string;
  readonly workflow: string;
  readonly description: string;
  readonly expected: string;
  readonly actual: string;
  readonly ok: boolean;
  readonly elapsedMs: number;
}

/**
 * The demo's timeline and its checked outcomes. Callers pass ids, statuses, scores and public persona ids only:
 * what goes in here is printed and written to the JSON and the report.
 */
export class Timeline {
  readonly entries: TimelineEntry[] = [];
  readonly outcomes: Outcome[] = [];
  private readonly started = performance.now();

  constructor(private readonly print?: (line: string) => void) {}

  elapsed(): number {
    return Math.round(performance.now() - this.started);
  }

  step(workflow: string, step: string, detail?: string): void {
    const entry: TimelineEntry = {
      elapsedMs: this.elapsed(),
      workflow,
      step,
      ...(detail !== undefined && { detail }),
    };
    this.entries.push(entry);
    this.print?.(
      `${stamp(entry.elapsedMs)} ${workflow.padEnd(7)} ${step}${detail === undefined ? '' : `  (${detail})`}`,
    );
  }

  /** Records an outcome; `actual === expected` decides whether it is ok. */
  expect(
    id: string,
    workflow: string,
    description: string,
    expected: string | number | boolean,
    actual: string | number | boolean | null | undefined,
  ): boolean {
    const outcome: Outcome = {
      id,
      workflow,
      description,
      expected: String(expected),
      actual: String(actual),
      ok: actual === expected,
      elapsedMs: this.elapsed(),
    };
    this.outcomes.push(outcome);
    this.print?.(
      `${stamp(outcome.elapsedMs)} ${workflow.padEnd(7)} ${outcome.ok ? '✔' : '✘'} ${description}: ${outcome.actual}${outcome.ok ? '' : ` (expected ${outcome.expected})`}`,
    );
    return outcome.ok;
  }

  get ok(): boolean {
    return this.outcomes.length > 0 && this.outcomes.every((o) => o.ok);
  }
}

function stamp(ms: number): string {
  return `[${String(ms).padStart(6)} ms]`;
}

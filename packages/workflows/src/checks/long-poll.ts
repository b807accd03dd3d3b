import type { CaseSnapshot } from '../engine/runtime.js';

/**
 * Long-poll by polling: re-reads the case every `pollMs` until its version exceeds `since` or `waitMs` ran out.
 * Reading the store (not an in-process signal) keeps it right when another process advances the case.
 */
export async function waitForVersion(
  load: () => Promise<CaseSnapshot>,
  since: number,
  waitMs: number,
  pollMs = 100,
): Promise<CaseSnapshot> {
  const deadline = Date.now() + waitMs;
  for (;;) {
    const snapshot = await load();
    if (snapshot.version > since || snapshot.final || Date.now() >= deadline) return snapshot;
    await new Promise((resolve) => setTimeout(resolve, Math.min(pollMs, Math.max(1, deadline - Date.now()))));
  }
}

/** The case now, or with `waitMs` > 0 long-polled until its version exceeds `since`. */
export function loadOrWait(
  load: () => Promise<CaseSnapshot>,
  options: { since?: number; waitMs?: number },
): Promise<CaseSnapshot> {
  return options.waitMs !== undefined && options.waitMs > 0
    ? waitForVersion(load, options.since ?? 0, options.waitMs)
    : load();
}

import { z } from 'zod';

// The device clients' common options, checked the same way in each.

/** Seconds per status long-poll (default 25; the server caps it at 30). */
export function pollWaitSecondsOption(value: number | undefined): number {
  return z
    .number()
    .int()
    .min(0)
    .max(30)
    .parse(value ?? 25);
}

/** An overall wait in milliseconds (a positive whole number), `fallback` when not given. */
export function waitMsOption(value: number | undefined, fallback: number): number {
  return z
    .number()
    .int()
    .positive()
    .parse(value ?? fallback);
}

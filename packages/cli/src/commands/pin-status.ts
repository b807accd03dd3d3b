import type { PinStatus } from '@mynakit/card';
import { type CardCommandOptions, withCard } from '../card-access.js';
import { emit } from '../output.js';

export async function pinStatusCommand(options: CardCommandOptions & { json?: boolean }): Promise<void> {
  const statuses = await withCard(options, (card) => card.pinStatuses());
  emit(options.json ?? false, statuses, formatPinStatuses);
}

export function formatPinStatuses(statuses: readonly PinStatus[]): string {
  return statuses
    .map(
      (s) =>
        `  ${s.pin.padEnd(20)} ${s.blocked ? 'BLOCKED' : s.triesLeft === null ? 'verified' : `${s.triesLeft} left`}`,
    )
    .join('\n');
}

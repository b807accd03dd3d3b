import type { MyNumberCard, PinStatus } from '@mynakit/card';
import { type CardCommandOptions, withCard } from '../card-access.js';
import { type CertificateSummary, formatSummary, summarizeCertificate } from '../certificate-summary.js';
import { emit, hex } from '../output.js';
import { formatPinStatuses } from './pin-status.js';

export interface CardInfo {
  reader: string;
  atr: string;
  token: { token: string; kind: string };
  applications: Record<string, boolean>;
  pins: PinStatus[];
  certificates: Record<string, CertificateSummary | null>;
}

/** Everything readable without a PIN: applications, tries left, and the certificates that are free to read. */
export async function cardInfoCommand(options: CardCommandOptions & { json?: boolean }): Promise<void> {
  const info = await withCard(options, gatherCardInfo);
  emit(options.json ?? false, info, formatCardInfo);
}

export async function gatherCardInfo(card: MyNumberCard): Promise<CardInfo> {
  const applications = await card.applications();
  const token = await card.jpki.readToken();
  const pins = await card.pinStatuses();
  const certificates: CardInfo['certificates'] = {};
  for (const name of ['auth', 'authCa', 'signCa'] as const) {
    certificates[name] = summarizeCertificate(await card.jpki.readCertificate(name));
  }
  return { reader: card.reader, atr: hex(card.atr, ''), token, applications, pins, certificates };
}

export function formatCardInfo(info: CardInfo): string {
  const apps = Object.entries(info.applications)
    .map(([name, present]) => `${name} ${present ? 'yes' : 'no'}`)
    .join(', ');
  return [
    `reader        ${info.reader}`,
    `ATR           ${info.atr}`,
    `token         ${info.token.token} (${info.token.kind})`,
    `applications  ${apps}`,
    'PIN tries left:',
    formatPinStatuses(info.pins),
    ...Object.entries(info.certificates).map(([name, summary]) =>
      summary ? formatSummary(`${name} certificate`, summary) : `${name} certificate: none`,
    ),
  ].join('\n');
}

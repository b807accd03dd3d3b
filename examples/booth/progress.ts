import type { BoothProgress, BoothResult, BoothStep } from '@mynakit/workflows/device';

/** What the booth's screen says at each step. Progress events carry no personal data, so they are safe to log. */
const SCREEN: Record<BoothStep, string> = {
  'reading-card': 'reading the card (certificates, card-face photo, basic four)',
  capturing: 'taking the photo',
  submitting: 'sending the application',
  checking: 'the server checks the certificate with J-LIS and compares the faces',
  'held-for-review': 'held: a municipality officer reviews the photos (this can take a while)',
  'writing-card': 'writing the new certificates to the card: do not remove it',
  confirming: 'confirming the update with J-LIS',
  completed: 'done',
  rejected: 'not accepted',
  failed: 'failed',
  expired: 'expired',
};

export function showProgress(label: string): (event: BoothProgress) => void {
  return (event) => console.log(`[${label}] ${SCREEN[event.step]}`);
}

/** One closing line per application; returns whether it succeeded. */
export function showResult(label: string, result: BoothResult): boolean {
  switch (result.outcome) {
    case 'completed':
      console.log(`${label} completed (case ${result.caseId})`);
      return true;
    case 'rejected':
    case 'failed': {
      const why = [result.reason, result.reasonDetail].filter((x) => x !== null).join(': ');
      console.log(`${label} ${result.outcome}${why === '' ? '' : ` (${why})`}, case ${result.caseId}`);
      if (result.reason === 'photo-unusable')
        console.log('take another photo: one face, looking at the camera');
      return false;
    }
    case 'card-error':
      console.log(`${label}: card error ${result.error.code}, case ${result.caseId}`);
      if (result.resumable) console.log('put the card back: the booth can resume this case');
      return false;
    case 'held-timeout':
      console.log(`${label} still held for review, case ${result.caseId}: the applicant can come back later`);
      return false;
    case 'timeout':
      console.log(`${label} still ${result.status} after the booth's wait, case ${result.caseId}`);
      return false;
    case 'expired':
      console.log(`${label} expired, case ${result.caseId}`);
      return false;
  }
}

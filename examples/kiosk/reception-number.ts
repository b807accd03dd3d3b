import { createInterface } from 'node:readline/promises';

/** The number the applicant types on the kiosk's screen: from the command line, or one line of stdin. */
export async function readReceptionNumber(fromArgs: string | undefined): Promise<string> {
  const raw =
    fromArgs ??
    (await (async () => {
      const rl = createInterface({
        input: process.stdin,
        output: process.stdout,
        terminal: process.stdin.isTTY,
      });
      try {
        return await rl.question('Reception number: ');
      } finally {
        rl.close();
      }
    })());
  // People type numbers with spaces or hyphens, as printed on their phone.
  const number = raw.replace(/[\s-]/g, '');
  if (number === '') throw new Error('no reception number given');
  return number;
}

import { randomUUID } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';

/**
 * The phone's id must stay the same from the application to the print confirmation (the server sends the request
 * to the device that applied), so the app creates it once and keeps it. It identifies the installation, not the
 * person.
 */
export async function loadDeviceId(file: string): Promise<string> {
  try {
    return (await readFile(file, 'utf8')).trim();
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    const id = `phone-${randomUUID()}`;
    await writeFile(file, `${id}\n`, { mode: 0o600, flag: 'wx' });
    return id;
  }
}

import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const execFileAsync = promisify(execFile);

/**
 * Run a command in a fresh temporary directory holding `files`; returns stdout. Removes the directory.
 * Asynchronous on purpose: a virtual card in this process must keep answering pcscd while the command runs.
 */
export async function runWithFiles(
  files: Record<string, Uint8Array | string>,
  command: string,
  args: string[],
): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'mynakit-'));
  try {
    for (const [name, content] of Object.entries(files)) await writeFile(join(dir, name), content);
    return (await execFileAsync(command, args, { cwd: dir, encoding: 'utf8' })).stdout;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** `openssl dgst -verify` of a PKCS#1 v1.5 signature against the public key of a DER certificate. */
export async function opensslVerifies(
  certificateDer: Uint8Array,
  data: Uint8Array,
  signature: Uint8Array,
  hash: string,
): Promise<boolean> {
  try {
    const out = await runWithFiles({ 'cert.der': certificateDer, data, sig: signature }, 'bash', [
      '-c',
      `openssl x509 -inform DER -in cert.der -pubkey -noout > pub.pem && openssl dgst -${hash} -verify pub.pem -signature sig data`,
    ]);
    return out.trim() === 'Verified OK';
  } catch {
    return false;
  }
}

import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Run a command in a fresh temporary directory holding `files`; returns stdout. Removes the directory. */
export function runWithFiles(
  files: Record<string, Uint8Array | string>,
  command: string,
  args: string[],
): string {
  const dir = mkdtempSync(join(tmpdir(), 'mynakit-'));
  try {
    for (const [name, content] of Object.entries(files)) writeFileSync(join(dir, name), content);
    return execFileSync(command, args, { cwd: dir, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** `openssl dgst -verify` of a PKCS#1 v1.5 signature against the public key of a DER certificate. */
export function opensslVerifies(
  certificateDer: Uint8Array,
  data: Uint8Array,
  signature: Uint8Array,
  hash: string,
): boolean {
  try {
    const out = runWithFiles({ 'cert.der': certificateDer, data, sig: signature }, 'bash', [
      '-c',
      `openssl x509 -inform DER -in cert.der -pubkey -noout > pub.pem && openssl dgst -${hash} -verify pub.pem -signature sig data`,
    ]);
    return out.trim() === 'Verified OK';
  } catch {
    return false;
  }
}

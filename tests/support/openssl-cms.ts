import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

// Asynchronous on purpose: a virtual card in this process must keep answering pcscd while openssl runs.
const execFileAsync = promisify(execFile);

/** Writes `files` to a fresh temporary directory, runs `work` in it, removes the directory. */
async function inTempDir<T>(
  files: Record<string, Uint8Array | string>,
  work: (
    run: (...args: string[]) => Promise<string>,
    read: (name: string) => Promise<Uint8Array>,
  ) => Promise<T>,
): Promise<T> {
  const dir = await mkdtemp(join(tmpdir(), 'mynakit-cms-'));
  try {
    for (const [name, content] of Object.entries(files)) await writeFile(join(dir, name), content);
    const run = async (...args: string[]) =>
      (await execFileAsync('openssl', args, { cwd: dir, encoding: 'utf8' })).stdout;
    const read = async (name: string) => new Uint8Array(await readFile(join(dir, name)));
    return await work(run, read);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/**
 * `openssl cms -verify -inform DER -binary -noverify` (signature and messageDigest, no chain): the content OpenSSL
 * vouches for, or null when it refuses the CMS.
 */
export async function opensslCmsVerify(
  cms: Uint8Array,
  detachedContent?: Uint8Array,
): Promise<Uint8Array | null> {
  const files: Record<string, Uint8Array> = { 'cms.der': cms };
  if (detachedContent !== undefined) files['content.bin'] = detachedContent;
  return inTempDir(files, async (run, read) => {
    try {
      await run(
        'cms',
        '-verify',
        '-inform',
        'DER',
        '-binary',
        '-noverify',
        '-in',
        'cms.der',
        '-out',
        'out.bin',
        ...(detachedContent !== undefined ? ['-content', 'content.bin'] : []),
      );
    } catch {
      return null;
    }
    return read('out.bin');
  });
}

/** `openssl cms -cmsout` DER → DER: OpenSSL's own re-encoding (sorted SET OFs, minimal lengths). */
export async function opensslCmsReencode(cms: Uint8Array): Promise<Uint8Array> {
  return inTempDir({ 'cms.der': cms }, async (run, read) => {
    await run('cms', '-cmsout', '-inform', 'DER', '-in', 'cms.der', '-outform', 'DER', '-out', 'out.der');
    return read('out.der');
  });
}

export interface OpensslCmsOptions {
  detached?: boolean;
  /** Identify the signer by subjectKeyIdentifier (SignerInfo v3) instead of issuerAndSerialNumber. */
  keyid?: boolean;
  /** No signed attributes: the signature is directly over the content. */
  noattr?: boolean;
  /** The key: RSA (default) or an EC P-256 key, to check that non-RSA signers are refused. */
  keyType?: 'rsa' | 'ec';
}

/** A throwaway self-signed certificate and an `openssl cms -sign -binary -md sha256` CMS over `data` made with it. */
export async function opensslCmsSign(
  data: Uint8Array,
  options: OpensslCmsOptions = {},
): Promise<{ cms: Uint8Array; certificate: Uint8Array }> {
  return inTempDir({ data }, async (run, read) => {
    const key =
      options.keyType === 'ec'
        ? ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256']
        : ['-newkey', 'rsa:2048'];
    await run(
      'req',
      '-x509',
      ...key,
      '-nodes',
      '-keyout',
      'key.pem',
      '-out',
      'cert.pem',
      '-days',
      '2',
      '-subj',
      '/CN=mynakit throwaway signer',
      '-addext',
      'subjectKeyIdentifier=hash',
    );
    await run('x509', '-in', 'cert.pem', '-outform', 'DER', '-out', 'cert.der');
    await run(
      'cms',
      '-sign',
      '-binary',
      '-md',
      'sha256',
      '-in',
      'data',
      '-signer',
      'cert.pem',
      '-inkey',
      'key.pem',
      '-outform',
      'DER',
      '-out',
      'cms.der',
      ...(options.detached ? [] : ['-nodetach']),
      ...(options.keyid ? ['-keyid'] : []),
      ...(options.noattr ? ['-noattr'] : []),
    );
    return { cms: await read('cms.der'), certificate: await read('cert.der') };
  });
}

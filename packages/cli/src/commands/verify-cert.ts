import { readdir, readFile } from 'node:fs/promises';
import { extname, join } from 'node:path';
import { JpkiError, parseJpkiCertificate, RevocationChecker, TrustStore, validateChain } from '@mynakit/jpki';
import { emit } from '../output.js';

export interface VerifyCertOptions {
  trust: string;
  ocsp?: string;
  crl?: string;
  at?: string;
  allowTest?: boolean;
  json?: boolean;
}

const ROOT_FILE = new Set(['.pem', '.der', '.cer', '.crt']);

/** Validate a JPKI certificate: chain to a root in --trust, then revocation through --ocsp and/or --crl (fail closed). */
export async function verifyCertCommand(file: string, options: VerifyCertOptions): Promise<void> {
  const leaf = parseJpkiCertificate(await readCertificateFile(file));
  if (leaf.type === 'unknown')
    throw new JpkiError('POLICY_MISMATCH', 'not a JPKI signing or user-authentication certificate');
  const trustStore = await loadTrustStore(options.trust);
  const at = options.at ? new Date(options.at) : new Date();
  const { root } = await validateChain(leaf, {
    trustStore,
    type: leaf.type,
    at,
    ...(options.allowTest && { allowTestHierarchy: true }),
  });
  let revocation: { status: string; reason?: string; source: string | null } | null = null;
  if (options.ocsp || options.crl) {
    const checker = new RevocationChecker({
      ...(options.ocsp && { ocsp: { url: options.ocsp } }),
      ...(options.crl && { crl: { url: options.crl } }),
    });
    const result = await checker.check(leaf, root.certificate, at);
    revocation = {
      status: result.status,
      source: result.source,
      ...(result.reason !== undefined && { reason: result.reason }),
    };
  }
  const valid = revocation === null || revocation.status === 'good';
  const report = {
    valid,
    type: leaf.type,
    hierarchy: leaf.hierarchy,
    serialNumber: leaf.serialNumber,
    subject: leaf.subject,
    notBefore: leaf.notBefore.toISOString(),
    notAfter: leaf.notAfter.toISOString(),
    root: { subject: root.certificate.subject, sha256: root.sha256 },
    revocation: revocation ?? 'not checked (pass --ocsp and/or --crl)',
  };
  emit(options.json ?? false, report, (r) =>
    [
      `${r.valid ? 'VALID' : 'NOT VALID'}: ${r.type} certificate, serial ${r.serialNumber}`,
      `  chain      to ${r.root.subject} (sha256 ${r.root.sha256})`,
      `  validity   ${r.notBefore} → ${r.notAfter}`,
      `  revocation ${typeof r.revocation === 'string' ? r.revocation : `${r.revocation.status}${r.revocation.reason ? ` (${r.revocation.reason})` : ''} via ${r.revocation.source}`}`,
    ].join('\n'),
  );
  if (!valid) process.exitCode = 3;
}

/** Every certificate file in `dir`, filed under the root type its DN names. */
async function loadTrustStore(dir: string): Promise<TrustStore> {
  const store = new TrustStore();
  for (const name of await readdir(dir)) {
    if (!ROOT_FILE.has(extname(name).toLowerCase())) continue;
    const bytes = await readCertificateFile(join(dir, name));
    const subject = parseJpkiCertificate(bytes).subject;
    const type = subject.includes('digital signature')
      ? 'sign'
      : subject.includes('user authentication')
        ? 'auth'
        : null;
    if (type) await store.addRoot(type, bytes);
  }
  return store;
}

/** PEM files are passed on as text, anything else as DER bytes. */
async function readCertificateFile(file: string): Promise<Uint8Array | string> {
  const bytes = await readFile(file);
  const head = bytes.subarray(0, 64).toString('latin1');
  return head.includes('-----BEGIN') ? bytes.toString('latin1') : new Uint8Array(bytes);
}

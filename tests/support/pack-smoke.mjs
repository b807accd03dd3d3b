// Runs inside a fresh npm project where the packed tarballs are installed: everything is imported by package
// name, exactly as an integrator would, with no @mynakit/source condition. Prints one JSON line for the test.
import { readFileSync } from 'node:fs';
import { MemoryTransport, MyNumberCard } from '@mynakit/card';
import { parseJpkiCertificate, RevocationChecker, TrustStore, validateChain } from '@mynakit/jpki';
import { getPersona, MockJlis, startJlisServer } from '@mynakit/testkit';
import { SqliteWorkflowStore } from '@mynakit/workflows/sqlite';

/** Every subpath each installed package exports, imported by its public specifier. */
async function importEveryEntry() {
  const loaded = {};
  for (const name of ['card', 'jpki', 'face', 'workflows', 'testkit', 'cli']) {
    // Read from disk: the packages export no ./package.json.
    const manifest = JSON.parse(
      readFileSync(new URL(`./node_modules/@mynakit/${name}/package.json`, import.meta.url), 'utf8'),
    );
    for (const subpath of Object.keys(manifest.exports)) {
      const specifier = subpath === '.' ? manifest.name : `${manifest.name}/${subpath.slice(2)}`;
      loaded[specifier] = Object.keys(await import(specifier)).length;
    }
  }
  return loaded;
}

const entries = await importEveryEntry();

// A virtual card issued by the mock J-LIS, read through the SDK's in-memory transport.
const persona = getPersona('taro');
const jlis = await MockJlis.create();
const transport = new MemoryTransport(['reader']);
transport.insert('reader', await jlis.issueCard(persona.id));
const card = await MyNumberCard.open(transport, 'reader');
const server = await startJlisServer(jlis);
try {
  const authCert = await card.jpki.readCertificate('auth');
  const trustStore = new TrustStore();
  await trustStore.addRoot('auth', jlis.cas.auth.der);
  const chain = await validateChain(authCert, { trustStore, type: 'auth' });

  // OCSP against the mock J-LIS over HTTP: good, then revoked once J-LIS revokes the certificate.
  const checker = new RevocationChecker({ ocsp: { url: server.ocspUrl } });
  const before = await checker.check(authCert, jlis.cas.auth.der);
  jlis.revoke('auth', parseJpkiCertificate(authCert).serialNumber, 'keyCompromise');
  const after = await checker.check(authCert, jlis.cas.auth.der);

  // The native SQLite store loads and works.
  const store = await SqliteWorkflowStore.open(':memory:');
  await store.close();

  console.log(
    JSON.stringify({
      entries,
      resolvedFrom: import.meta.resolve('@mynakit/card'),
      certificateType: chain.leaf.type,
      before: { status: before.status, source: before.source },
      after: { status: after.status, reason: after.reason, source: after.source },
    }),
  );
} finally {
  await card.close();
  await server.close();
}

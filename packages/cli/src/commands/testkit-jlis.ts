import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { listPersonas, MockJlis, startJlisServer } from '@mynakit/testkit';
import { toPem } from '../certificate-summary.js';

export interface JlisOptions {
  port: string;
  state?: string;
}

/**
 * Run the mock J-LIS until interrupted: OCSP, CRLs, the latest-basic-four service and the control API.
 * The roots are written to `<state>/roots/` so that `mynakit verify cert --trust <state>/roots` can use them.
 */
export async function jlisCommand(options: JlisOptions): Promise<void> {
  const jlis = await MockJlis.create(options.state ? { stateDir: options.state } : {});
  // Every persona holds a card from this J-LIS, so their serials are known to OCSP, CRLs and the control API.
  for (const persona of listPersonas()) {
    if (!safeHolder(jlis, persona.id)) await jlis.issueCard(persona.id);
  }
  if (options.state) {
    const roots = join(options.state, 'roots');
    await mkdir(roots, { recursive: true });
    await writeFile(join(roots, 'sign-ca.pem'), toPem(jlis.cas.sign.der));
    await writeFile(join(roots, 'auth-ca.pem'), toPem(jlis.cas.auth.der));
  }
  const server = await startJlisServer(jlis, { port: Number(options.port) });
  process.stdout.write(
    [
      `mock J-LIS listening on ${server.url}`,
      `  OCSP           ${server.ocspUrl}`,
      `  CRL (sign)     ${server.crlUrl('sign')}`,
      `  CRL (auth)     ${server.crlUrl('auth')}`,
      `  control API    ${server.url}control/{revoke,change-basic-four,death,consent}`,
      `  latest four    ${server.url}latest-basic-four`,
      ...(options.state ? [`  roots          ${join(options.state, 'roots')}`] : []),
      '',
    ].join('\n'),
  );
  await new Promise<void>((resolve) => {
    process.once('SIGINT', () => resolve());
    process.once('SIGTERM', () => resolve());
  });
  await server.close();
}

function safeHolder(jlis: MockJlis, id: string): boolean {
  try {
    jlis.holder(id);
    return true;
  } catch {
    return false;
  }
}

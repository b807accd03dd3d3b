import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MemoryTransport, MyNumberCard } from '@mynakit/card';
import { getPersona, MockJlis, startJlisServer } from '@mynakit/testkit';
import { generateKeyBase64 } from '@mynakit/workflows';
import { startEkycApp } from './ekyc-app.js';

const b64 = (bytes: Uint8Array) => Buffer.from(bytes).toString('base64');
const unb64 = (text: string) => new Uint8Array(Buffer.from(text, 'base64'));

/** Your application backend calling the eKYC server (JSON over HTTP with the bearer token). */
function backend(baseUrl: string, token: string) {
  return async <T>(path: string, body: unknown): Promise<T> => {
    const response = await fetch(new URL(path, baseUrl), {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify(body),
    });
    const answer = (await response.json()) as T & { error?: { code: string } };
    if (!response.ok) throw new Error(`${path}: ${response.status} ${answer.error?.code ?? ''}`);
    return answer;
  };
}

interface Challenge {
  challengeId: string;
  toBeSigned: string;
}

/**
 * The whole of W4 on loopback: the mock J-LIS, this server on a temporary SQLite file, and a customer whose virtual
 * card logs in and verifies their identity; then J-LIS records a change of address and the next re-check round
 * finds the kept signing certificate revoked. Resolves true when every outcome is the expected one.
 */
export async function runDemo(): Promise<boolean> {
  const dir = await mkdtemp(join(tmpdir(), 'mynakit-ekyc-demo-'));
  const jlis = await MockJlis.create();
  const jlisServer = await startJlisServer(jlis);
  const token = randomBytes(24).toString('base64url');
  const app = await startEkycApp({
    databaseFile: join(dir, 'ekyc.sqlite'),
    keyring: { current: 'k1', keys: [{ id: 'k1', key: generateKeyBase64() }] },
    apiToken: token,
    verifierId: 'demo-bank',
    jlis: {
      trustAnchors: { sign: [jlis.cas.sign.der], auth: [jlis.cas.auth.der] },
      ocspUrl: jlisServer.ocspUrl,
      crlUrls: { sign: jlisServer.crlUrl('sign'), auth: jlisServer.crlUrl('auth') },
      latestBasicFourUrl: new URL('latest-basic-four', jlisServer.url).href,
      allowTestHierarchy: true,
    },
  });
  const persona = getPersona('taro');
  const transport = new MemoryTransport(['customer card']);
  transport.insert('customer card', await jlis.issueCard(persona.id));
  const card = await MyNumberCard.open(transport, 'customer card');
  try {
    console.log(`eKYC server ${app.url} (mock J-LIS ${jlisServer.url})`);
    const post = backend(app.url, token);

    // W4.2 login: the card signs a one-time challenge with its user-authentication key.
    const login = await post<Challenge>('/w4/login/start', {});
    await card.jpki.verifyAuthPin(persona.pins.auth);
    const loggedIn = await post<{ customerId: string; newlyBound: boolean }>('/w4/login', {
      challengeId: login.challengeId,
      certificate: b64(await card.jpki.readCertificate('auth')),
      signature: b64(await card.jpki.sign('auth', unb64(login.toBeSigned), 'SHA-256')),
    });
    const customerId = loggedIn.customerId;
    console.log(`logged in: customer ${customerId}${loggedIn.newlyBound ? ' (card newly bound)' : ''}`);

    // W4.1 identity verification: the card signs what the customer agrees to, with the signing key.
    const identity = await post<Challenge>('/w4/identity/start', {
      transaction: 'Open a savings account (demo)',
    });
    await card.jpki.verifySignPassword(persona.pins.sign!);
    const verified = await post<{ evidenceId: string; retainUntil: string }>('/w4/identity', {
      challengeId: identity.challengeId,
      certificate: b64(await card.jpki.readCertificate('sign')),
      signature: b64(await card.jpki.sign('sign', unb64(identity.toBeSigned), 'SHA-256')),
      customerId,
    });
    // The response carries the basic four for your onboarding form; this demo does not print personal data.
    console.log(
      `identity verified: customer ${customerId}, evidence ${verified.evidenceId} kept until ${verified.retainUntil}`,
    );

    // W4.3: a re-check round now; in server mode the same round runs on a schedule.
    const before = await app.schedule.runOnce();
    await jlis.changeBasicFour(persona.id, { address: '福岡県福岡市博多区博多駅前１－１' });
    console.log('[J-LIS] the customer moved: J-LIS issues a new signing certificate');
    const after = await app.schedule.runOnce();

    return (
      before.length === 1 &&
      before[0]?.status === 'valid' &&
      after.length === 1 &&
      after[0]?.status === 'revoked' &&
      after[0].meaning === 'basic-four-changed'
    );
  } finally {
    await card.close();
    await app.close();
    await jlisServer.close();
    await rm(dir, { recursive: true, force: true });
  }
}

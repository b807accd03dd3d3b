import type { MockJlis } from '@mynakit/testkit';
import { generateKeyBase64 } from '@mynakit/workflows';
import type { ServerConfigInput } from '@mynakit/workflows/server';

// Reference-server config parts every server test writes the same way.

/** One fresh key, current. */
export function testKeyring(): ServerConfigInput['keyring'] {
  return { current: 'k1', keys: [{ id: 'k1', key: generateKeyBase64() }] };
}

/** J-LIS at `url`: the mock's test CAs as the trust anchors (a test hierarchy, so allowed explicitly). */
export function mockJlisConfig(url: string, jlis: MockJlis): ServerConfigInput['jlis'] {
  const anchor = (der: Uint8Array) => `base64:${Buffer.from(der).toString('base64')}`;
  return {
    url,
    trustAnchors: { sign: [anchor(jlis.cas.sign.der)], auth: [anchor(jlis.cas.auth.der)] },
    allowTestHierarchy: true,
  };
}

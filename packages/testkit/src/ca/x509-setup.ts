// @peculiar/x509 resolves its algorithms through tsyringe, which needs the Reflect metadata API loaded first.
import 'reflect-metadata';
import * as x509 from '@peculiar/x509';

// @peculiar/x509 signs through WebCrypto; Node's global one is enough (set once, idempotent).
x509.cryptoProvider.set(globalThis.crypto);

export { x509 };

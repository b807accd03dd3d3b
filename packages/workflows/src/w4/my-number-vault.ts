import { type Keyring, sealContext } from '../privacy/sealed-box.js';

/**
 * W4.6: where a collected My Number (個人番号) is kept — sealed, one per customer, never in a log. Only a business
 * the law allows to collect it (番号法: e.g. for statutory reports such as 支払調書) should configure one; without a
 * vault the eKYC service refuses every My Number.
 */
export interface MyNumberVault {
  /** Seals and stores (replacing an earlier one of the same customer). */
  put(customerId: string, myNumber: string, now: Date): Promise<void>;
  has(customerId: string): Promise<boolean>;
  /** The only way a My Number leaves the vault: for the statutory use it was collected for. */
  reveal(customerId: string): Promise<string | null>;
  /** Deletion once the purpose ends (the law requires it); true when one was removed. */
  delete(customerId: string): Promise<boolean>;
}

/** Binds the sealed blob to its customer: moved to another row, it no longer opens. */
export function myNumberContext(customerId: string): Uint8Array {
  return sealContext('w4-my-number', customerId);
}

export async function sealMyNumber(
  keyring: Keyring,
  customerId: string,
  myNumber: string,
): Promise<Uint8Array> {
  return keyring.seal(new TextEncoder().encode(myNumber), myNumberContext(customerId));
}

export async function openMyNumber(
  keyring: Keyring,
  customerId: string,
  sealed: Uint8Array,
): Promise<string> {
  const plaintext = await keyring.open(sealed, myNumberContext(customerId));
  try {
    return new TextDecoder().decode(plaintext);
  } finally {
    plaintext.fill(0);
  }
}

/** For one process and tests; sealed in memory too, so it behaves like the database vaults. */
export class InMemoryMyNumberVault implements MyNumberVault {
  private readonly sealed = new Map<string, Uint8Array>();

  constructor(private readonly keyring: Keyring) {}

  async put(customerId: string, myNumber: string): Promise<void> {
    this.sealed.set(customerId, await sealMyNumber(this.keyring, customerId, myNumber));
  }

  async has(customerId: string): Promise<boolean> {
    return this.sealed.has(customerId);
  }

  async reveal(customerId: string): Promise<string | null> {
    const sealed = this.sealed.get(customerId);
    return sealed === undefined ? null : openMyNumber(this.keyring, customerId, sealed);
  }

  async delete(customerId: string): Promise<boolean> {
    return this.sealed.delete(customerId);
  }
}

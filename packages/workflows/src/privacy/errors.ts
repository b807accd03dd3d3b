import { MynakitError, type MynakitErrorOptions } from '@mynakit/card';

/** Failures of the privacy building blocks. Codes are stable API; messages never carry key material or personal data. */
export const privacyErrorCodes = [
  /** Authentication failed: tampered ciphertext, wrong key, or associated data that does not match (e.g. another case). */
  'DECRYPT_FAILED',
  /** The blob names a key id that the keyring does not hold (retired, or from another deployment). */
  'UNKNOWN_KEY',
  /** Key configuration refused: not base64, not 32 bytes, duplicate ids, or no current key. */
  'INVALID_KEY',
  /** Not a sealed box: wrong magic, unsupported version, or truncated. */
  'MALFORMED_BLOB',
  /** A stored photo decrypted but its SHA-256 differs from the one recorded at storage. */
  'INTEGRITY_FAILED',
  /** A photo id or photo input of the wrong form. */
  'INVALID_INPUT',
] as const;

export type PrivacyErrorCode = (typeof privacyErrorCodes)[number];

export class PrivacyError extends MynakitError<PrivacyErrorCode> {
  constructor(code: PrivacyErrorCode, message: string, options: MynakitErrorOptions = {}) {
    super(code, message, options);
    this.name = 'PrivacyError';
  }
}

export function isPrivacyErrorCode(code: string): code is PrivacyErrorCode {
  return (privacyErrorCodes as readonly string[]).includes(code);
}

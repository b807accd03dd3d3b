import password from '@inquirer/password';
import { CardError } from '@mynakit/card';

export interface SecretSource {
  /** Name of an environment variable holding the secret (`--pin-env VAR`). */
  readonly envVar?: string;
  /** What to ask for at the hidden prompt. */
  readonly prompt: string;
}

/**
 * PINs come from a named environment variable or a hidden prompt, never from the command line
 * (arguments are visible to every user through `ps` and land in shell history).
 */
export async function readSecret(source: SecretSource): Promise<string> {
  if (source.envVar !== undefined) {
    const value = process.env[source.envVar];
    if (value === undefined || value === '') {
      throw new CardError('INVALID_INPUT', `environment variable ${source.envVar} is not set`);
    }
    return value;
  }
  if (!process.stdin.isTTY) {
    throw new CardError(
      'INVALID_INPUT',
      `${source.prompt} is needed: use --pin-env VAR when there is no terminal`,
    );
  }
  return password({ message: source.prompt, mask: '*' });
}

import { randomBytes } from 'node:crypto';
import { CardError } from '@mynakit/card';
import { generateKeyBase64 } from '@mynakit/workflows';
import {
  type ApiRole,
  apiRoles,
  createReferenceServer,
  generateApiKey,
  loadServerConfig,
} from '@mynakit/workflows/server';

export interface ServerOptions {
  db?: string;
  config?: string;
  port?: string;
  host?: string;
  dataDir?: string;
}

/**
 * Run the reference server until SIGINT/SIGTERM. Prints the URL only: keys, pepper and database passwords stay in
 * the config file. On a signal it stops taking requests, lets the worker finish its round and closes the database.
 */
export async function serverCommand(options: ServerOptions): Promise<void> {
  const port = options.port === undefined ? undefined : Number(options.port);
  if (port !== undefined && (!Number.isInteger(port) || port < 0 || port > 65535))
    throw new CardError('INVALID_INPUT', '--port must be 0-65535');
  const config = await loadServerConfig(options.config, {
    db: options.db,
    port,
    host: options.host,
    dataDir: options.dataDir,
  });
  const server = await createReferenceServer(config);
  process.stdout.write(`mynakit reference server listening on ${server.url}\n`);
  process.stdout.write(`  review page    ${server.url}review/\n`);
  await new Promise<void>((resolve) => {
    process.once('SIGINT', () => resolve());
    process.once('SIGTERM', () => resolve());
  });
  await server.close();
}

export interface KeygenOptions {
  role?: string;
  id?: string;
  secrets?: boolean;
}

/**
 * `--role R --id I`: a new API key (shown once) and the `apiKeys` entry for the config (its SHA-256 only).
 * `--secrets`: a fresh sealing key and pepper for a new config file.
 */
export function serverKeygenCommand(options: KeygenOptions): void {
  if (options.secrets) {
    const secrets = {
      keyring: { current: 'k1', keys: [{ id: 'k1', key: generateKeyBase64() }] },
      pepper: randomBytes(32).toString('base64'),
    };
    process.stdout.write(`${JSON.stringify(secrets, null, 2)}\n`);
    return;
  }
  if (options.role === undefined || options.id === undefined)
    throw new CardError('INVALID_INPUT', 'use --role and --id for an API key, or --secrets');
  if (!(apiRoles as readonly string[]).includes(options.role))
    throw new CardError('INVALID_INPUT', `--role is one of ${apiRoles.join(', ')}`);
  const { key, entry } = generateApiKey({ id: options.id, role: options.role as ApiRole });
  process.stdout.write(`${JSON.stringify({ key, entry }, null, 2)}\n`);
}

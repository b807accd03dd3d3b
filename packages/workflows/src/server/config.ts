import { readFile } from 'node:fs/promises';
import { dirname, isAbsolute, resolve } from 'node:path';
import { MynakitError } from '@mynakit/card';
import { decisionPolicySchema } from '@mynakit/face';
import { z } from 'zod';
import { keyringConfigSchema } from '../privacy/sealed-box.js';
import { rateLimitSchema } from '../reception/rate-limiter.js';
import { apiKeyEntrySchema, clientCertificateEntrySchema } from './auth.js';

// The reference server's configuration: one JSON file plus a few command-line overrides. Secrets (sealing keys,
// pepper) live only in the file or the caller's object; `describeConfig` is the only form that gets printed.

const DAY_MS = 24 * 60 * 60 * 1000;

export const dbUrlSchema = z
  .string()
  .refine(
    (url) => /^sqlite:.+/.test(url) || /^postgres(ql)?:\/\/.+/.test(url),
    'db is sqlite:FILE or postgres://…',
  );

const base64Schema = z.string().regex(/^[A-Za-z0-9+/]+={0,2}$/, 'standard base64');

/** A trust anchor: a path to a PEM/DER file (relative to the config file) or `base64:` + DER. */
const trustAnchorSchema = z.string().min(1);

const httpUrl = z.url({ protocol: /^https?$/ });

export const serverConfigSchema = z.strictObject({
  /** `sqlite:FILE` (embedded, one host) or `postgres://…` (several processes share the work). */
  db: dbUrlSchema,
  /** PostgreSQL schema for every table (default `mynakit_workflows`). */
  postgresSchema: z
    .string()
    .regex(/^[a-z_][a-z0-9_]{0,62}$/)
    .optional(),
  host: z.string().min(1).default('127.0.0.1'),
  /** 0 = any free port (tests). */
  port: z.number().int().min(0).max(65535).default(8080),
  /** Photos (encrypted). With PostgreSQL and several processes, a directory they all share. */
  dataDir: z.string().min(1),
  /** AES-256-GCM sealing keys (photos, card-holder data). */
  keyring: keyringConfigSchema,
  /** Base64 secret (≥ 16 bytes) for person keys and W3 case ids; keep it out of the database. */
  pepper: base64Schema.refine((b) => Buffer.from(b, 'base64').length >= 16, 'at least 16 bytes'),
  apiKeys: z.array(apiKeyEntrySchema).default([]),
  /**
   * HTTPS, optionally with client certificates (mTLS) as a second way to authenticate booths and kiosks. Paths to
   * PEM files, relative to the config file.
   */
  tls: z
    .strictObject({
      cert: z.string().min(1),
      key: z.string().min(1),
      /** CAs whose client certificates are accepted; without it no client certificate is asked for. */
      clientCa: z.array(z.string().min(1)).min(1).optional(),
      /** Which client certificate is which actor (its SHA-256); a key's `Authorization` still works. */
      clientCertificates: z.array(clientCertificateEntrySchema).default([]),
    })
    .optional(),
  jlis: z
    .strictObject({
      /** Base URL of J-LIS (the mock's `startJlisServer().url`): OCSP at `ocsp`, CRLs at `crl/{sign,auth}.crl`, renewal at `renewal`. */
      url: httpUrl,
      ocspUrl: httpUrl.optional(),
      crlUrls: z.strictObject({ sign: httpUrl, auth: httpUrl }).optional(),
      trustAnchors: z.strictObject({
        sign: z.array(trustAnchorSchema).min(1),
        auth: z.array(trustAnchorSchema).min(1),
      }),
      /** Accept the JPKI-TEST hierarchy (the testkit's J-LIS); never in production. */
      allowTestHierarchy: z.boolean().default(false),
    })
    .optional(),
  face: z
    .strictObject({
      poolSize: z.number().int().min(1).max(32).default(1),
      policy: decisionPolicySchema,
      /** History photos compared per check (newest first). */
      historyLimit: z.number().int().min(0).max(50).default(5),
    })
    .optional(),
  /** How long a held W1/W2 case waits for a reviewer before it expires (default 7 days). */
  review: z.strictObject({ deadlineMs: z.number().int().positive().optional() }).default({}),
  w1: z
    .strictObject({
      /** How long the booth has to post the card's answers once the update script is ready (default 30 min). */
      boothDeadlineMs: z.number().int().positive().optional(),
    })
    .default({}),
  w2: z
    .strictObject({
      mode: z.enum(['admin-server', 'local']).default('local'),
      adminServerUrl: httpUrl.optional(),
    })
    .refine((w2) => w2.mode === 'local' || w2.adminServerUrl !== undefined, {
      message: 'adminServerUrl is required in admin-server mode',
      path: ['adminServerUrl'],
    })
    .default({ mode: 'local' }),
  w3: z
    .strictObject({
      issuanceServerUrl: httpUrl.optional(),
      expiryMs: z.number().int().positive().default(DAY_MS),
      confirmTimeoutMs: z
        .number()
        .int()
        .positive()
        .default(3 * 60_000),
      kioskRateLimit: rateLimitSchema.default({ capacity: 10, refillPerSecond: 0.2 }),
    })
    .default({
      expiryMs: DAY_MS,
      confirmTimeoutMs: 3 * 60_000,
      kioskRateLimit: { capacity: 10, refillPerSecond: 0.2 },
    }),
  w4: z
    .strictObject({
      verifierId: z.string().min(1).max(128),
      /**
       * W4.6: accept and keep (sealed) My Numbers. Off by default: turn it on only where the law allows this business
       * to collect them (番号法 第9条: statutory procedures only).
       */
      collectMyNumber: z.boolean().default(false),
    })
    .optional(),
  retention: z
    .strictObject({
      /** Final cases, their photos, mailbox messages and history photos older than this are purged. */
      days: z.number().positive().default(90),
      intervalMs: z
        .number()
        .int()
        .positive()
        .default(60 * 60_000),
    })
    .default({ days: 90, intervalMs: 60 * 60_000 }),
  worker: z
    .strictObject({
      intervalMs: z.number().int().positive().default(50),
      leaseMs: z.number().int().positive().default(30_000),
      /** Effects of different cases run side by side (face checks fill the pool, remote calls overlap). */
      concurrency: z.number().int().min(1).max(64).default(4),
    })
    .default({ intervalMs: 50, leaseMs: 30_000, concurrency: 4 }),
  log: z
    .strictObject({ level: z.enum(['debug', 'info', 'warn', 'error']).default('info') })
    .default({ level: 'info' }),
});

export type ServerConfigInput = z.input<typeof serverConfigSchema>;
export type ServerConfig = z.output<typeof serverConfigSchema>;

export const serverConfigErrorCodes = [
  /** The configuration does not fit the schema, or its file cannot be read or parsed. */
  'INVALID_CONFIG',
] as const;
export type ServerConfigErrorCode = (typeof serverConfigErrorCodes)[number];

/** Thrown for an invalid configuration; the message names paths and issue codes only, never values. */
export class ServerConfigError extends MynakitError<ServerConfigErrorCode> {
  constructor(message: string) {
    super('INVALID_CONFIG', message);
    this.name = 'ServerConfigError';
  }
}

export function parseServerConfig(input: unknown): ServerConfig {
  const parsed = serverConfigSchema.safeParse(input);
  if (parsed.success) return parsed.data;
  const where = parsed.error.issues
    .slice(0, 20)
    .map((issue) => `${issue.path.map(String).join('.') || '(root)'}: ${issue.code}`)
    .join('; ');
  throw new ServerConfigError(`invalid server configuration (${where})`);
}

export interface ConfigOverrides {
  readonly db?: string | undefined;
  readonly host?: string | undefined;
  readonly port?: number | undefined;
  readonly dataDir?: string | undefined;
}

/**
 * Reads a JSON config file (relative `dataDir` and trust-anchor paths resolve against its folder) and applies the
 * command-line overrides.
 */
export async function loadServerConfig(
  file: string | undefined,
  overrides: ConfigOverrides = {},
): Promise<ServerConfig> {
  let raw: Record<string, unknown> = {};
  if (file !== undefined) {
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch (error) {
      throw new ServerConfigError(`cannot read the config file: ${(error as NodeJS.ErrnoException).code}`);
    }
    try {
      raw = JSON.parse(text) as Record<string, unknown>;
    } catch {
      throw new ServerConfigError('the config file is not JSON');
    }
    if (typeof raw !== 'object' || raw === null || Array.isArray(raw))
      throw new ServerConfigError('the config file is not a JSON object');
  }
  const merged: Record<string, unknown> = { ...raw };
  for (const [key, value] of Object.entries(overrides)) if (value !== undefined) merged[key] = value;
  const config = parseServerConfig(merged);
  if (file === undefined) return config;
  const base = dirname(resolve(file));
  const at = (path: string) => (isAbsolute(path) ? path : resolve(base, path));
  const anchor = (value: string) => (value.startsWith('base64:') ? value : at(value));
  return {
    ...config,
    dataDir: overrides.dataDir !== undefined ? config.dataDir : at(config.dataDir),
    ...(config.db.startsWith('sqlite:') &&
      overrides.db === undefined &&
      config.db !== 'sqlite::memory:' && { db: `sqlite:${at(config.db.slice('sqlite:'.length))}` }),
    ...(config.tls !== undefined && {
      tls: {
        ...config.tls,
        cert: at(config.tls.cert),
        key: at(config.tls.key),
        ...(config.tls.clientCa !== undefined && { clientCa: config.tls.clientCa.map(at) }),
      },
    }),
    ...(config.jlis !== undefined && {
      jlis: {
        ...config.jlis,
        trustAnchors: {
          sign: config.jlis.trustAnchors.sign.map(anchor),
          auth: config.jlis.trustAnchors.auth.map(anchor),
        },
      },
    }),
  };
}

/** Loads a trust anchor: `base64:` + DER, or a PEM/DER file. */
export async function loadTrustAnchor(value: string): Promise<Uint8Array> {
  if (value.startsWith('base64:')) return new Uint8Array(Buffer.from(value.slice(7), 'base64'));
  const bytes = await readFile(value);
  const text = bytes.toString('latin1');
  const pem = /-----BEGIN CERTIFICATE-----([\s\S]+?)-----END CERTIFICATE-----/.exec(text);
  return pem === null
    ? new Uint8Array(bytes)
    : new Uint8Array(Buffer.from(pem[1]!.replace(/\s+/g, ''), 'base64'));
}

/** The configuration without secrets, for startup output: key material, pepper and key hashes are left out. */
export function describeConfig(config: ServerConfig): Record<string, unknown> {
  return {
    db: config.db.startsWith('sqlite:') ? config.db : redactDbUrl(config.db),
    host: config.host,
    port: config.port,
    dataDir: config.dataDir,
    keyring: { current: config.keyring.current, keys: config.keyring.keys.map((k) => k.id) },
    apiKeys: config.apiKeys.map((k) => ({ id: k.id, role: k.role })),
    tls: config.tls === undefined ? null : { mtls: config.tls.clientCa !== undefined },
    jlis:
      config.jlis === undefined
        ? null
        : { url: config.jlis.url, allowTestHierarchy: config.jlis.allowTestHierarchy },
    w2: config.w2.mode,
    retentionDays: config.retention.days,
  };
}

/** A database URL without its password. */
export function redactDbUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return '(unparsable database URL)';
  }
}

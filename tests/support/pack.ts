import { execFile } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const run = promisify(execFile);

export const repoRoot = fileURLToPath(new URL('../../', import.meta.url));

/** The workspace-only condition that points at `src`: never resolved by an installed package. */
export const SOURCE_CONDITION = '@mynakit/source';

/**
 * Dependencies whose install scripts compile native code. npm 11 runs no dependency install script unless the
 * project's `allowScripts` names it, so an integrator's project needs the same list.
 */
export const NATIVE_DEPENDENCIES = ['better-sqlite3', 'pcsclite', 'sharp'] as const;

export interface Manifest {
  name: string;
  version: string;
  private?: boolean;
  exports?: Record<string, unknown>;
  bin?: Record<string, string>;
  dependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
}

export interface PublicPackage {
  dir: string;
  manifest: Manifest;
}

export interface ExportTarget {
  subpath: string;
  /** The conditions down to this target, outermost first, e.g. `['import']` (empty for a plain string). */
  conditions: string[];
  target: string;
}

/** Every non-private package under packages/. */
export function publicPackages(): PublicPackage[] {
  const packagesDir = path.join(repoRoot, 'packages');
  return readdirSync(packagesDir)
    .sort()
    .map((name) => path.join(packagesDir, name))
    .filter((dir) => existsSync(path.join(dir, 'package.json')))
    .map((dir) => ({
      dir,
      manifest: JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8')) as Manifest,
    }))
    .filter((pkg) => !pkg.manifest.private);
}

/** Flattens an `exports` map (conditions may nest) into one row per file it can resolve to. */
export function exportTargets(exports: Record<string, unknown> = {}): ExportTarget[] {
  const rows: ExportTarget[] = [];
  const walk = (subpath: string, value: unknown, conditions: string[]) => {
    if (typeof value === 'string') rows.push({ subpath, conditions, target: value });
    else if (Array.isArray(value)) for (const item of value) walk(subpath, item, conditions);
    else if (value && typeof value === 'object')
      for (const [key, inner] of Object.entries(value)) walk(subpath, inner, [...conditions, key]);
  };
  for (const [subpath, value] of Object.entries(exports)) walk(subpath, value, []);
  return rows;
}

/** The import specifier for a subpath of `exports` (`.` → the package name). */
export function specifierFor(name: string, subpath: string): string {
  return subpath === '.' ? name : `${name}/${subpath.replace(/^\.\//, '')}`;
}

/** Files a built package must have for its published exports and bin; empty when `pnpm build` has run. */
export function missingBuildOutputs(pkg: PublicPackage): string[] {
  const targets = exportTargets(pkg.manifest.exports)
    .filter((row) => !row.conditions.includes(SOURCE_CONDITION))
    .map((row) => row.target);
  return [...targets, ...Object.values(pkg.manifest.bin ?? {})].filter(
    (target) => !existsSync(path.join(pkg.dir, target)),
  );
}

export async function buildWorkspace(): Promise<void> {
  await run('pnpm', ['build'], { cwd: repoRoot, maxBuffer: 64 * 1024 * 1024 });
}

/** `pnpm pack` (which rewrites `workspace:*` to versions) into `destination`; returns the tarball's path. */
export async function packPackage(pkg: PublicPackage, destination: string): Promise<string> {
  await run('pnpm', ['pack', '--pack-destination', destination], { cwd: pkg.dir });
  const file = path.join(
    destination,
    `${pkg.manifest.name.replace(/^@/, '').replace('/', '-')}-${pkg.manifest.version}.tgz`,
  );
  if (!existsSync(file)) throw new Error(`pnpm pack wrote no ${file}`);
  return file;
}

/** Paths inside a tarball, relative to its `package/` folder. */
export async function tarballFiles(tarball: string): Promise<string[]> {
  const { stdout } = await run('tar', ['-tzf', tarball], { maxBuffer: 16 * 1024 * 1024 });
  return stdout
    .split('\n')
    .filter((line) => line && !line.endsWith('/'))
    .map((line) => line.replace(/^package\//, ''));
}

export async function tarballManifest(tarball: string): Promise<Manifest> {
  const { stdout } = await run('tar', ['-xzOf', tarball, 'package/package.json']);
  return JSON.parse(stdout) as Manifest;
}

/** The environment for npm in the fresh project: nothing inherited from pnpm or vitest. */
function npmEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (!/^(npm_|pnpm_|NODE_OPTIONS$|VITEST|TEST$)/i.test(key)) env[key] = value;
  }
  // Native builds need Node's headers; use the installed ones rather than downloading them.
  const prefix = path.dirname(path.dirname(process.execPath));
  if (existsSync(path.join(prefix, 'include', 'node', 'node.h'))) env.npm_config_nodedir = prefix;
  env.npm_config_update_notifier = 'false';
  env.npm_config_fund = 'false';
  env.npm_config_audit = 'false';
  return env;
}

/** A new npm project in `dir` with the tarballs installed from the npm registry's point of view. */
export async function installTarballs(dir: string, tarballs: string[], extra: string[] = []): Promise<void> {
  await mkdir(dir, { recursive: true });
  const manifest = {
    name: 'mynakit-pack-install',
    private: true,
    type: 'module',
    allowScripts: Object.fromEntries(NATIVE_DEPENDENCIES.map((name) => [name, true])),
  };
  await writeFile(path.join(dir, 'package.json'), `${JSON.stringify(manifest, null, 2)}\n`);
  await run('npm', ['install', '--no-audit', '--no-fund', ...tarballs, ...extra], {
    cwd: dir,
    env: npmEnv(),
    maxBuffer: 64 * 1024 * 1024,
  });
}

/** Runs `node <script> …` (or another command) in the project with a clean environment. */
export async function runIn(
  dir: string,
  command: string,
  args: string[],
): Promise<{ stdout: string; stderr: string }> {
  const env = npmEnv();
  return run(command, args, { cwd: dir, env, maxBuffer: 16 * 1024 * 1024 });
}

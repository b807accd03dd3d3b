import { copyFile, cp, mkdtemp, readdir, readFile, realpath, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  buildWorkspace,
  exportTargets,
  installTarballs,
  type Manifest,
  missingBuildOutputs,
  type PublicPackage,
  packPackage,
  publicPackages,
  repoRoot,
  runIn,
  SOURCE_CONDITION,
  specifierFor,
  tarballFiles,
  tarballManifest,
} from './support/pack.js';

// The packages as an integrator gets them: `pnpm pack` tarballs installed with npm into a new project outside the
// workspace (native dependencies compile there), then used by package name, without the source condition.
interface Packed {
  pkg: PublicPackage;
  tarball: string;
  files: string[];
  manifest: Manifest;
}

const packages = publicPackages();
let work: string;
let project: string;
const packed: Packed[] = [];

beforeAll(async () => {
  if (packages.some((pkg) => missingBuildOutputs(pkg).length > 0)) await buildWorkspace();
  // realpath: module URLs name the real path (macOS's /var is a symlink).
  work = await realpath(await mkdtemp(path.join(os.tmpdir(), 'mynakit-pack-')));
  for (const pkg of packages) {
    const tarball = await packPackage(pkg, path.join(work, 'tarballs'));
    packed.push({
      pkg,
      tarball,
      files: await tarballFiles(tarball),
      manifest: await tarballManifest(tarball),
    });
  }
  project = path.join(work, 'project');
  // tsx runs the TypeScript examples, as an integrator who copied one would.
  await installTarballs(
    project,
    packed.map((p) => p.tarball),
    ['tsx@^4.23.15'],
  );
  await copyFile(path.join(repoRoot, 'tests/support/pack-smoke.mjs'), path.join(project, 'smoke.mjs'));
});

afterAll(async () => {
  if (work) await rm(work, { recursive: true, force: true });
});

describe('pnpm pack', () => {
  it('packs every public package', () => {
    expect(packed.map((p) => p.manifest.name).sort()).toEqual([
      '@mynakit/card',
      '@mynakit/cli',
      '@mynakit/face',
      '@mynakit/jpki',
      '@mynakit/testkit',
      '@mynakit/workflows',
    ]);
  });

  it('ships dist and the README, and no sources, tests or scratch files', () => {
    for (const { manifest, files } of packed) {
      expect(files, manifest.name).toContain('package.json');
      expect(files, manifest.name).toContain('README.md');
      expect(
        files.some((file) => file.startsWith('dist/') && file.endsWith('.js')),
        manifest.name,
      ).toBe(true);
      const unwanted = files.filter(
        (file) =>
          /^(src|test|tests|\.tmp|node_modules|coverage)\//.test(file) ||
          /(^|\/)(tsconfig\.json|tsup\.config\.ts|vitest\.config\.ts)$/.test(file) ||
          /\.(test|spec)\.[cm]?[jt]s$/.test(file),
      );
      expect(unwanted, manifest.name).toEqual([]);
    }
  });

  it('points every export and bin at a file in the tarball', () => {
    for (const { manifest, files } of packed) {
      const targets = exportTargets(manifest.exports).filter(
        (row) => !row.conditions.includes(SOURCE_CONDITION),
      );
      expect(targets.length, manifest.name).toBeGreaterThan(0);
      const paths = [...targets.map((row) => row.target), ...Object.values(manifest.bin ?? {})];
      const missing = paths.filter((target) => !files.includes(target.replace(/^\.\//, '')));
      expect(missing, manifest.name).toEqual([]);
    }
  });

  it('replaces workspace: ranges with the packed versions', () => {
    const versions = new Map(packed.map((p) => [p.manifest.name, p.manifest.version]));
    for (const { manifest } of packed) {
      const ranges = { ...manifest.dependencies, ...manifest.optionalDependencies };
      for (const [name, range] of Object.entries(ranges)) {
        expect(range, `${manifest.name} → ${name}`).not.toMatch(/^workspace:/);
        if (versions.has(name)) expect(range, `${manifest.name} → ${name}`).toBe(versions.get(name));
      }
    }
  });
});

describe('installed from the tarballs into a fresh npm project', () => {
  it('imports every entry by name; reads a virtual card and checks its certificate at the mock J-LIS', async () => {
    const { stdout } = await runIn(project, process.execPath, ['smoke.mjs']);
    const result = JSON.parse(stdout.trim().split('\n').at(-1) ?? '{}');

    const specifiers = packed.flatMap(({ manifest }) =>
      Object.keys(manifest.exports ?? {}).map((subpath) => specifierFor(manifest.name, subpath)),
    );
    expect(Object.keys(result.entries).sort()).toEqual(specifiers.sort());
    for (const [specifier, count] of Object.entries(result.entries)) {
      // The CLI package's root entry is `export {}`: it is used through its bin.
      if (specifier !== '@mynakit/cli') expect(count, specifier).toBeGreaterThan(0);
    }
    // Resolved from the project's own node_modules, not from the workspace.
    expect(result.resolvedFrom).toBe(
      pathToFileURL(path.join(project, 'node_modules/@mynakit/card/dist/index.js')).href,
    );
    expect(result.certificateType).toBe('auth');
    expect(result.before).toEqual({ status: 'good', source: 'ocsp' });
    expect(result.after).toEqual({ status: 'revoked', reason: 'keyCompromise', source: 'ocsp' });
  });

  it('runs the mynakit command from the installed package', async () => {
    const { stdout } = await runIn(project, path.join(project, 'node_modules/.bin/mynakit'), [
      'testkit',
      'personas',
      '--json',
    ]);
    const personas = JSON.parse(stdout) as { id: string }[];
    expect(personas.map((p) => p.id)).toContain('taro');
  });

  it('runs the kiosk example (examples/kiosk, copied out of the workspace) against the installed packages', async () => {
    const example = path.join(project, 'kiosk');
    await cp(path.join(repoRoot, 'examples/kiosk'), example, {
      recursive: true,
      filter: (source) => !source.includes('node_modules') && !source.endsWith('package.json'),
    });
    const out = path.join(work, 'printouts');
    // No source condition: the examples must run on the published dist.
    const { stdout, stderr } = await runIn(example, process.execPath, [
      '--import',
      'tsx',
      'main.ts',
      '--mock',
      '--out',
      out,
    ]);
    expect(`${stdout}${stderr}`).toMatch(/^printed job \S+ to /m);
    const files = await readdir(out);
    expect(files).toHaveLength(1);
    expect((await readFile(path.join(out, files[0]!))).subarray(0, 5).toString('latin1')).toBe('%PDF-');
  });
});

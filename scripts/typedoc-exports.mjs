// TypeDoc plugin: the API reference documents exactly what the packages publish. Entry points come from each
// public package's package.json `exports` (its `@mynakit/source` file), so a new subpath export appears in the
// reference without touching typedoc.json, and each module is named by its import specifier
// (`@mynakit/card/pcsc`) rather than by its path in the repository.
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { Application, Converter, ReflectionKind } from 'typedoc';

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');

/** @returns {Map<string, string>} absolute source file → import specifier */
export function publicEntryPoints() {
  const entries = new Map();
  const packagesDir = path.join(root, 'packages');
  for (const dir of readdirSync(packagesDir).sort()) {
    let pkg;
    try {
      pkg = JSON.parse(readFileSync(path.join(packagesDir, dir, 'package.json'), 'utf8'));
    } catch {
      continue;
    }
    if (pkg.private || !pkg.exports) continue;
    for (const [subpath, target] of Object.entries(pkg.exports)) {
      const source = typeof target === 'object' && target !== null ? target['@mynakit/source'] : undefined;
      if (typeof source !== 'string') continue;
      const file = path.join(packagesDir, dir, source);
      // An entry with nothing to import (the CLI's `export {}`) would be an empty page.
      if (!/^\s*export\s+(?!\{\s*\}\s*;?\s*$)/m.test(readFileSync(file, 'utf8'))) continue;
      entries.set(file, subpath === '.' ? pkg.name : `${pkg.name}/${subpath.slice(2)}`);
    }
  }
  return entries;
}

/** @param {Application} app */
export function load(app) {
  const entries = publicEntryPoints();
  app.on(Application.EVENT_BOOTSTRAP_END, () => {
    app.options.setValue('entryPoints', [...entries.keys()]);
  });
  app.converter.on(Converter.EVENT_CREATE_DECLARATION, (context, reflection) => {
    if (!reflection.kindOf(ReflectionKind.Module)) return;
    const symbol = context.getSymbolFromReflection(reflection);
    const file = symbol?.declarations?.[0]?.getSourceFile().fileName;
    const name = file && entries.get(path.resolve(file));
    if (name) reflection.name = name;
  });
}

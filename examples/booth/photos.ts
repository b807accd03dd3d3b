import { readdir, stat } from 'node:fs/promises';
import { extname, join } from 'node:path';

const IMAGE = new Set(['.jpg', '.jpeg', '.png']);

/** A photo file, or the JPEG/PNG files of a directory in name order (a camera that drops frames into a folder). */
export async function photoFiles(path: string): Promise<string[]> {
  if (!(await stat(path)).isDirectory()) return [path];
  const names = (await readdir(path)).filter((name) => IMAGE.has(extname(name).toLowerCase())).sort();
  if (names.length === 0) throw new Error(`no JPEG or PNG photo in ${path}`);
  return names.map((name) => join(path, name));
}

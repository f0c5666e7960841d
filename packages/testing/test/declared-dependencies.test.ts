import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from '@jest/globals';

const repoRoot = fileURLToPath(new URL('../../..', import.meta.url));

interface Manifest {
  name: string;
  workspaces?: string[];
  dependencies?: Record<string, string>;
  devDependencies?: Record<string, string>;
}

const manifest = (dir: string): Manifest => JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));

/** The workspace packages, from the root's `workspaces` globs (only `dir/*` and plain paths are used). */
function workspaceDirs(): string[] {
  return (manifest(repoRoot).workspaces ?? [])
    .flatMap((pattern) =>
      pattern.endsWith('/*')
        ? readdirSync(join(repoRoot, pattern.slice(0, -2))).map((name) =>
            join(repoRoot, pattern.slice(0, -2), name),
          )
        : [join(repoRoot, pattern)],
    )
    .filter((dir) => existsSync(join(dir, 'package.json')));
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (name === 'node_modules' || name.startsWith('.')) return [];
    if (statSync(path).isDirectory()) return existsSync(join(path, 'package.json')) ? [] : sourceFiles(path);
    return /\.(ts|js)$/.test(name) ? [path] : [];
  });
}

const specifier =
  /^\s*(?:import|export)\b[^'"]*?\bfrom\s+['"]([^'"]+)['"]|^\s*import\s+['"]([^'"]+)['"]|\bimport\(\s*['"]([^'"]+)['"]\s*\)/gm;

/** The packages a file imports by name (not relative paths, not Node's own modules). */
function importedPackages(file: string): string[] {
  const names: string[] = [];
  for (const match of readFileSync(file, 'utf8').matchAll(specifier)) {
    const target = match[1] ?? match[2] ?? match[3] ?? '';
    if (target.startsWith('.') || target.startsWith('node:') || target.startsWith('#')) continue;
    const name = target.startsWith('@')
      ? target.split('/').slice(0, 2).join('/')
      : (target.split('/')[0] ?? '');
    if (!builtinModules.includes(name)) names.push(name);
  }
  return names;
}

function undeclared(dir: string, files: string[]): string[] {
  const own = manifest(dir);
  const declared = new Set([
    ...Object.keys(own.dependencies ?? {}),
    ...Object.keys(own.devDependencies ?? {}),
  ]);
  const used = new Set(files.flatMap(importedPackages));
  return [...used].filter((name) => name !== own.name && !declared.has(name)).sort();
}

describe('every package declares what it imports', () => {
  it.each(workspaceDirs().map((dir) => [dir.slice(repoRoot.length), dir]))('%s', (_name, dir) => {
    expect(undeclared(dir, sourceFiles(dir))).toEqual([]);
  });

  it('the root, for tests/ and bench/ (which are not packages)', () => {
    const files = ['tests', 'bench'].flatMap((dir) => sourceFiles(join(repoRoot, dir)));
    expect(undeclared(repoRoot, files)).toEqual([]);
  });
});

import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';

/**
 * `npm start` and `npm test` install the npm dependencies themselves, so on a fresh clone their
 * scripts run before node_modules exists: any npm package they import statically fails before
 * the install can happen. (It did once: a demo helper's top-level `import { DateTime } from
 * 'luxon'` broke `npm start` on every fresh clone.) Packages are imported dynamically, after
 * ensureDependencies().
 */
const ENTRY_POINTS = ['scripts/start.mjs', 'scripts/test.mjs', 'scripts/demo.mjs', 'scripts/build.mjs', 'scripts/proto.mjs'];
const root = resolve(__dirname, '..', '..');
const STATIC_IMPORT = /^\s*import\s+(?:[^'"]*?\s+from\s+)?['"]([^'"]+)['"]/gm;

function staticImports(file: string): string[] {
  const source = readFileSync(file, 'utf8');
  return [...source.matchAll(STATIC_IMPORT)].map((m) => m[1] ?? '');
}

/** Every module a script loads before it runs: its static imports, followed through local files. */
function closure(entry: string): { file: string; specifier: string }[] {
  const seen = new Set<string>();
  const external: { file: string; specifier: string }[] = [];
  const visit = (file: string) => {
    if (seen.has(file)) return;
    seen.add(file);
    for (const specifier of staticImports(file)) {
      if (specifier.startsWith('.')) visit(join(dirname(file), specifier));
      else external.push({ file: file.slice(root.length + 1), specifier });
    }
  };
  visit(join(root, entry));
  return external;
}

describe('scripts that run before npm install', () => {
  it.each(ENTRY_POINTS)('%s imports only Node built-ins and local files at load time', (entry) => {
    const packages = closure(entry).filter(({ specifier }) => !specifier.startsWith('node:'));
    expect(packages).toEqual([]);
  });

  it('sees a static package import when there is one (the check itself works)', () => {
    expect([...'import { DateTime } from \'luxon\';\nimport x from "./y.mjs";'.matchAll(STATIC_IMPORT)].map((m) => m[1])).toEqual(['luxon', './y.mjs']);
  });
});

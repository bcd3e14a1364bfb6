#!/usr/bin/env node
// Regenerates TypeScript contracts from proto/ (ts-proto via buf), or checks
// that the committed generated code is what the current .proto files produce.
//   node scripts/proto.mjs generate
//   node scripts/proto.mjs check [--proto-dir DIR] [--gen-dir DIR]
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, readdirSync, readFileSync, statSync, existsSync } from 'node:fs';
import { join, relative, resolve, dirname } from 'node:path';
import { tmpdir } from 'node:os';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const buf = join(root, 'node_modules', '.bin', 'buf');
const args = process.argv.slice(2);
const command = args[0];
const option = (name, fallback) => {
  const i = args.indexOf(name);
  return i >= 0 && args[i + 1] ? resolve(args[i + 1]) : fallback;
};
const protoDir = option('--proto-dir', join(root, 'proto'));
const genDir = option('--gen-dir', join(root, 'libs', 'contracts', 'src', 'gen'));
const template = join(root, 'proto', 'buf.gen.yaml');
const genRelative = 'libs/contracts/src/gen';

function runBuf(bufArgs) {
  execFileSync(buf, bufArgs, { cwd: root, stdio: ['ignore', 'inherit', 'inherit'] });
}

function generateInto(outBase) {
  runBuf(['lint', protoDir]);
  runBuf(['generate', protoDir, '--template', template, '-o', outBase]);
  return join(outBase, genRelative);
}

function listFiles(dir) {
  if (!existsSync(dir)) return [];
  const out = [];
  const walk = (d) => {
    for (const name of readdirSync(d)) {
      const p = join(d, name);
      if (statSync(p).isDirectory()) walk(p);
      else out.push(relative(dir, p));
    }
  };
  walk(dir);
  return out.sort();
}

if (command === 'generate') {
  if (!existsSync(buf)) {
    console.error('buf is not installed: run `npm install` first (the generated code is left as it was)');
    process.exit(1);
  }
  // Lint before removing anything: a proto error leaves the committed code in place.
  runBuf(['lint', protoDir]);
  rmSync(genDir, { recursive: true, force: true });
  const base = genDir.endsWith(genRelative) ? genDir.slice(0, -genRelative.length) : root;
  generateInto(base);
  console.log(`contracts regenerated in ${relative(root, genDir)}`);
} else if (command === 'check') {
  const tmp = mkdtempSync(join(tmpdir(), 'careloop-proto-'));
  try {
    const fresh = generateInto(tmp);
    const expected = listFiles(fresh);
    const actual = listFiles(genDir);
    const problems = [];
    for (const f of expected) {
      if (!actual.includes(f)) problems.push(`missing: ${f}`);
      else if (readFileSync(join(fresh, f), 'utf8') !== readFileSync(join(genDir, f), 'utf8')) problems.push(`stale: ${f}`);
    }
    for (const f of actual) if (!expected.includes(f)) problems.push(`unexpected: ${f}`);
    if (problems.length > 0) {
      console.error(`Generated contracts are out of date with proto/ (run \`npm run proto:gen\` and commit):\n  ${problems.join('\n  ')}`);
      process.exit(1);
    }
    console.log(`contracts up to date (${expected.length} files)`);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
} else {
  console.error('usage: proto.mjs generate | check [--proto-dir DIR] [--gen-dir DIR]');
  process.exit(2);
}

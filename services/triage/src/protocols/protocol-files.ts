import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { parse } from 'yaml';

/** services/triage/protocols, found from this file (source runs) or next to the bundle. */
export function defaultProtocolDir(start = __dirname): string {
  for (let dir = resolve(start); dir !== dirname(dir); dir = dirname(dir)) {
    const candidate = join(dir, 'protocols');
    if (existsSync(join(candidate, 'red-flags.yaml'))) return candidate;
  }
  throw new Error(`no protocols directory with red-flags.yaml above ${start}`);
}

export interface ProtocolFile {
  readonly name: string;
  readonly content: unknown;
}

export class ProtocolFileError extends Error {
  override readonly name = 'ProtocolFileError';
}

/** Reads a YAML or JSON file of the protocols directory. */
export function readDataFile(path: string): unknown {
  const text = readFileSync(path, 'utf8');
  try {
    return path.endsWith('.json') ? JSON.parse(text) : parse(text);
  } catch (cause) {
    throw new ProtocolFileError(`${path}: not valid ${path.endsWith('.json') ? 'JSON' : 'YAML'}`, { cause });
  }
}

/** The complaint protocols of a directory: every *.yaml / *.json except red-flags and emergency numbers. */
export function readProtocolFiles(dir: string): ProtocolFile[] {
  return readdirSync(dir)
    .filter((f) => /\.(ya?ml|json)$/.test(f) && !/^(red-flags|emergency-numbers)\./.test(f))
    .sort()
    .map((f) => ({ name: f, content: readDataFile(join(dir, f)) }));
}

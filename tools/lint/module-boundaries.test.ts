import { spawnSync } from 'node:child_process';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const root = join(__dirname, '..', '..');
const bin = (name: string) => join(root, 'node_modules', '.bin', name);

/** Lints one throw-away source file placed inside a project, so its tags apply. */
function lintProbe(relativePath: string, source: string): { status: number | null; output: string } {
  const file = join(root, relativePath);
  writeFileSync(file, source);
  try {
    const result = spawnSync(bin('eslint'), ['--no-warn-ignored', file], { cwd: root, encoding: 'utf8' });
    return { status: result.status, output: result.stdout + result.stderr };
  } finally {
    rmSync(file, { force: true });
  }
}

describe('module boundaries and lint rules', () => {
  beforeAll(() => {
    // The boundary rule reads nx's project graph; make sure it is computed.
    spawnSync(bin('nx'), ['show', 'projects'], { cwd: root, encoding: 'utf8' });
  });

  it('refuses a utility library importing a data library', () => {
    const result = lintProbe('libs/observability/src/boundary-probe.ts', "import { KafkaEventBus } from '@careloop/bus';\nexport const probe = KafkaEventBus;\n");
    expect(result.status).toBe(1);
    expect(result.output).toContain('A project tagged with "type:util" can only depend on libs tagged with');
  });

  it('refuses the testing library in production code but allows it in tests', () => {
    const production = lintProbe('libs/bus/src/boundary-probe.ts', "import { waitFor } from '@careloop/testing';\nexport const probe = waitFor;\n");
    expect(production.status).toBe(1);
    expect(production.output).toContain('enforce-module-boundaries');
    const test = lintProbe('libs/bus/test/boundary-probe.test.ts', "import { uniqueName } from '@careloop/testing';\nit('names', () => {\n  expect(uniqueName('x')).toMatch(/^x-/);\n});\n");
    expect(test.output).not.toContain('enforce-module-boundaries');
    expect(test.status).toBe(0);
  });

  it('refuses floating promises and focused tests', () => {
    const floating = lintProbe('libs/bus/src/boundary-probe.ts', 'async function work(): Promise<void> {}\nexport function run(): void {\n  work();\n}\n');
    expect(floating.output).toContain('no-floating-promises');
    // Assembled so that this file itself contains no focused test for tools that grep for one.
    const focusedTest = ['it', 'only'].join('.') + "('x', () => {\n  expect(Math.max(1, 2)).toBe(2);\n});\n";
    const focused = lintProbe('libs/bus/test/boundary-probe.test.ts', focusedTest);
    expect(focused.output).toContain('jest/no-focused-tests');
  });
});

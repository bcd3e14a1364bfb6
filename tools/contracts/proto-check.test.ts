import { spawnSync } from 'node:child_process';
import { appendFileSync, cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const root = join(__dirname, '..', '..');
const check = (protoDir: string) =>
  spawnSync(process.execPath, [join(root, 'scripts', 'proto.mjs'), 'check', '--proto-dir', protoDir], { cwd: root, encoding: 'utf8' });

describe('generated contracts check', () => {
  let scratch: string;
  beforeAll(() => {
    scratch = mkdtempSync(join(tmpdir(), 'careloop-proto-check-'));
    cpSync(join(root, 'proto'), scratch, { recursive: true });
  });
  afterAll(() => rmSync(scratch, { recursive: true, force: true }));

  it('passes when the committed code matches proto/', () => {
    const result = check(join(root, 'proto'));
    expect(result.stderr).not.toContain('out of date');
    expect(result.status).toBe(0);
  });

  it('fails, naming the stale file, when a .proto changed without regeneration', () => {
    appendFileSync(join(scratch, 'careloop', 'events', 'v1', 'envelope.proto'), '\nmessage AddedWithoutRegeneration {\n  string id = 1;\n}\n');
    const result = check(scratch);
    expect(result.status).toBe(1);
    expect(result.stderr).toContain('Generated contracts are out of date');
    expect(result.stderr).toContain('stale: careloop/events/v1/envelope.ts');
  });
});

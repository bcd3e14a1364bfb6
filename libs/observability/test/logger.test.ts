import { Writable } from 'node:stream';
import { createLogger } from '@careloop/observability';

function capture() {
  const lines: string[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _enc, done) {
      lines.push(chunk.toString());
      done();
    },
  });
  return { lines, destination };
}

describe('logger', () => {
  it('censors PHI fields at any of the first three levels', () => {
    const { lines, destination } = capture();
    const logger = createLogger({ service: 'test', destination });
    logger.info({ phone: '+34600111222', contact: { name: 'María', profileName: 'Mari' }, turn: { message: { body: 'me duele el pecho' } }, contactId: 'c-1' }, 'turn handled');
    const line = lines.join('');
    expect(line).not.toContain('600111222');
    expect(line).not.toContain('María');
    expect(line).not.toContain('Mari"');
    expect(line).not.toContain('pecho');
    expect(line).toContain('"contactId":"c-1"');
    expect(JSON.parse(line)).toMatchObject({ level: 'info', service: 'test', msg: 'turn handled', phone: '[PHI]' });
  });
});

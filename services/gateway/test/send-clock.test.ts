import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { getPriority } from 'node:os';
import { SendClock } from '../src/adapters/send-clock';
import type { ClockStarted } from '../src/adapters/send-clock-protocol';

describe('send clock (sends from its own thread, at their slots)', () => {
  let server: Server;
  let url: string;
  const arrivals: { at: number; body: string }[] = [];
  const clock = new SendClock();

  beforeAll(async () => {
    server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        arrivals.push({ at: Date.now(), body: Buffer.concat(chunks).toString('utf8') });
        res.writeHead(req.url === '/refuse' ? 400 : 200, { 'content-type': 'application/json' }).end('{"messages":[{"id":"wamid.1"}]}');
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    await clock.start();
  });
  afterAll(async () => {
    await clock.close();
    await new Promise((resolve) => server.close(resolve));
  });
  beforeEach(() => (arrivals.length = 0));

  it('holds a request until its slot, then posts it and returns the answer', async () => {
    const at = Date.now() + 150;
    const reply = await clock.post({ url: `${url}/send`, headers: { 'content-type': 'application/json' }, body: '{"n":1}', timeoutMs: 2_000 }, { at, maxLatenessMs: 5 });
    expect(reply).toMatchObject({ kind: 'answered', status: 200, body: '{"messages":[{"id":"wamid.1"}]}' });
    expect(arrivals).toHaveLength(1);
    expect(arrivals[0]?.body).toBe('{"n":1}');
    expect(arrivals[0]!.at).toBeGreaterThanOrEqual(at);
  });

  it('does not send a request that reaches it later than its slot allows', async () => {
    const reply = await clock.post({ url: `${url}/send`, headers: {}, body: '{}', timeoutMs: 2_000 }, { at: Date.now() - 50, maxLatenessMs: 5 });
    expect(reply.kind).toBe('slot_missed');
    expect(reply.kind === 'slot_missed' && reply.lateMs).toBeGreaterThanOrEqual(50);
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(arrivals).toHaveLength(0);
  });

  it('returns error answers as they are, and a refused connection as a network error with its code', async () => {
    const refused = await clock.post({ url: `${url}/refuse`, headers: {}, body: '{}', timeoutMs: 2_000 });
    expect(refused).toMatchObject({ kind: 'answered', status: 400 });
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));
    expect(await clock.post({ url: `http://127.0.0.1:${port}/x`, headers: {}, body: '{}', timeoutMs: 2_000 })).toMatchObject({ kind: 'network_error', code: 'ECONNREFUSED' });
  });

  it('runs its thread at the CPU priority it is given, and says when it could not take it', async () => {
    const started: ClockStarted[] = [];
    // 19 (the lowest priority) can always be taken, by any user; -20 only with CAP_SYS_NICE.
    for (const nice of [19, -20]) {
      const own = new SendClock(undefined, { nice, onStarted: (s) => started.push(s) });
      await own.start();
      await new Promise((resolve) => setTimeout(resolve, 50)); // the started message follows "online"
      const self = started.at(-1);
      expect(self?.nice?.wanted).toBe(nice);
      expect(self?.tid).toEqual(expect.any(Number));
      const privileged = process.getuid?.() === 0;
      if (nice === 19 || privileged) {
        expect(self?.nice?.refused).toBeUndefined();
        expect(getPriority(self?.tid)).toBe(nice);
      } else {
        expect(self?.nice?.refused).toBe('EACCES');
        expect(getPriority(self?.tid)).toBe(getPriority());
      }
      await own.close();
    }
    expect(started).toHaveLength(2);
  });
});

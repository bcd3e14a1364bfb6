/**
 * The baseline: a bare node:http server that reads the whole request body and
 * answers 200 `{}` — the floor any webhook endpoint on this machine pays
 * (HTTP parsing, reading the body, writing an answer) with none of the
 * gateway's work. On 127.0.0.1 only; stops on SIGTERM/SIGINT or when the
 * parent goes away.
 */
import { createServer } from 'node:http';

const ANSWER = Buffer.from('{}');

const server = createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on('data', (chunk: Buffer) => chunks.push(chunk));
  req.on('end', () => {
    // The whole body in one buffer, as the gateway's body reader (express.raw) makes it.
    void Buffer.concat(chunks);
    res.writeHead(200, { 'content-type': 'application/json; charset=utf-8', 'content-length': ANSWER.length });
    res.end(ANSWER);
  });
});

server.listen(0, '127.0.0.1', () => {
  const address = server.address();
  process.send?.({ type: 'ready', httpPort: typeof address === 'object' && address ? address.port : 0 });
});

let stopping = false;
const stop = () => {
  if (stopping) return;
  stopping = true;
  server.close(() => process.exit(0));
  server.closeAllConnections();
  setTimeout(() => process.exit(0), 2_000).unref();
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
process.on('disconnect', stop);

/**
 * The floor of the chat benchmark: the least a receiver in a process of its own can do with a message. A
 * node:http server that reads the document's `POST /broadcast-peer/`, prints the line a peer prints
 * (`[BROADCAST] Doc (127.0.0.1:9): text`) and answers `{"status":"received"}`: no signature, no history, no
 * channels, no web page. Bundled by `bench/bundle.ts` and run by plain `node`, as the peers are.
 * Usage: node floor-receiver.js PORT. New: no WeApRous twin.
 */

import { createServer } from 'node:http';

const port = Number(process.argv[2]);

createServer((request, response) => {
  const chunks: Buffer[] = [];
  request.on('data', (chunk: Buffer) => chunks.push(chunk));
  request.on('end', () => {
    let message: { name?: unknown; from?: unknown; msg?: unknown };
    try {
      message = JSON.parse(Buffer.concat(chunks).toString('utf8')) as typeof message;
    } catch {
      response.writeHead(400, { 'Content-Type': 'text/plain' }).end('The body must be JSON\n');
      return;
    }
    process.stdout.write(`[BROADCAST] ${String(message.name)} (${String(message.from)}): ${String(message.msg)}\n`);
    response.writeHead(200, { 'Content-Type': 'application/json' }).end('{"status":"received"}');
  });
}).listen(port, '127.0.0.1', () => process.stdout.write(`listening on ${port}\n`));

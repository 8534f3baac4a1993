/**
 * The server being measured: a WeApRous app with one route, `GET /` → `Hello, world!`, on the daemon's
 * own HTTP/1.1 code over node:net, or over node:tls with a certificate (`run({ tls })`, daemon/tls.ts) (like
 * WeApRous `start_sampleapp.py`, cut to one route). Bundled by `bench/bundle.ts` and run by plain `node`.
 * New: no WeApRous twin.
 */

import { WeApRous } from '../../../daemon/weaprous';
import { HELLO, serve } from '../serve';

serve(async (port, tls) => {
  const app = new WeApRous().addRoute('GET', '/', () => HELLO);
  const backend = await app.prepareAddress('127.0.0.1', port).run(tls ? { tls } : {});
  return { port: backend.address().port, stop: () => backend.close() };
});

/**
 * The peer's incoming side: a WeApRous app answering the other peers. `/connect-peer/` adds the caller to
 * the connected peers, `/broadcast-peer/` and `/send-peer/` show a message, `/disconnect-peer/` drops a
 * peer that leaves. What to print goes to `show`, so the app runs in a test with no terminal.
 * Ports `setup_routes()` of WeApRous `apps/peer.py` (the `/disconnect-peer/` route is new).
 */

import { WeApRous } from '../../daemon/weaprous';
import { HttpError } from '../../daemon/status';
import type { Request } from '../../daemon/request';
import { optionalName, readJsonObject, requireIp, requirePort, requireString } from '../payload';
import { peerId } from '../tracker/registry';
import { messageLine, peerConnectedLine, peerLeftLine } from './console';
import type { ChatState, PeerInfo } from './state';

const CONNECT_EXAMPLE = '{"ip":"127.0.0.1","port":5002,"peer_id":"127.0.0.1:5002","name":"Bob"}';
const MESSAGE_EXAMPLE = '{"from":"127.0.0.1:5002","name":"Bob","msg":"Hello","timestamp":1699680000}';

/** `createPeerServer(state, (line) => terminal.print(line)).prepareAddress('0.0.0.0', 5001).run()` */
export function createPeerServer(state: ChatState, show: (line: string) => void): WeApRous {
  const app = new WeApRous();
  const self = state.self;

  app.addRoute('POST', '/connect-peer/', (request) => {
    const body = readJsonObject(request, CONNECT_EXAMPLE);
    const ip = requireIp(body);
    const port = requirePort(body);
    const id = peerId(ip, port);
    // The id is where messages go: one naming another address would let a caller take another peer's place.
    if (body.peer_id !== undefined && body.peer_id !== id) {
      throw new HttpError(400, `"peer_id" must be "ip:port" of the ip and port sent, here "${id}" (or leave it out)`);
    }
    if (id === self.peer_id) throw new HttpError(400, `"${id}" is this peer's own id; a peer does not connect to itself`);
    const peer: PeerInfo = { peer_id: id, ip, port, name: optionalName(body) ?? id };
    // A peer that reconnects unchanged (both sides connecting at once) is not announced twice.
    if (state.connect(peer) !== 'same') show(peerConnectedLine(peer));
    return { status: 'ok', message: 'Connected', peer_id: self.peer_id, name: self.name };
  });

  app.addRoute('POST', '/broadcast-peer/', (request) => receive(request, 'broadcast'));
  app.addRoute('POST', '/send-peer/', (request) => receive(request, 'direct'));

  app.addRoute('POST', '/disconnect-peer/', (request) => {
    const id = requireString(readJsonObject(request, '{"peer_id":"127.0.0.1:5002"}'), 'peer_id', '127.0.0.1:5002', 300);
    const peer = state.disconnect(id);
    if (!peer) return { status: 'ok', message: 'Was not connected' };
    show(peerLeftLine(peer));
    return { status: 'ok', message: 'Disconnected' };
  });

  /** Both message routes: check the body, keep the message, show it. */
  function receive(request: Request, type: 'broadcast' | 'direct') {
    const body = readJsonObject(request, MESSAGE_EXAMPLE);
    const from = requireString(body, 'from', '127.0.0.1:5002', 300);
    const msg = requireString(body, 'msg', 'Hello');
    // The name the sender gave, else the one it connected with, else its id.
    const name = optionalName(body) ?? state.get(from)?.name ?? from;
    const timestamp = typeof body.timestamp === 'number' ? body.timestamp : Date.now() / 1000;
    state.record({ type, direction: 'in', from, name, msg, timestamp });
    show(messageLine(type, name, from, msg));
    return { status: 'received' };
  }
  return app;
}

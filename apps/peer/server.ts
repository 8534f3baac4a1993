/**
 * The peer's incoming side: a WeApRous app answering the other peers. `/connect-peer/` adds the caller to
 * the connected peers, `/broadcast-peer/` and `/send-peer/` show a message, `/disconnect-peer/` drops a
 * peer that leaves. What to print goes to `show`, so the app runs in a test with no terminal.
 * Ports `setup_routes()` of WeApRous `apps/peer.py` (the `/disconnect-peer/` route is new).
 */

import { WeApRous } from '../../daemon/weaprous';
import { HttpError } from '../../daemon/status';
import type { Request } from '../../daemon/request';
import { readConnectBody, readMessageBody, readPeerIdBody } from '../protocol';
import { messageLine, peerConnectedLine, peerLeftLine } from './console';
import type { ChatState, PeerInfo } from './state';

/** `createPeerServer(state, (line) => terminal.print(line)).prepareAddress('0.0.0.0', 5001).run()` */
export function createPeerServer(state: ChatState, show: (line: string) => void): WeApRous {
  const app = new WeApRous();
  const self = state.self;

  app.addRoute('POST', '/connect-peer/', (request) => {
    const peer: PeerInfo = readConnectBody(request);
    if (peer.peer_id === self.peer_id)
      throw new HttpError(400, `"${peer.peer_id}" is this peer's own id; a peer does not connect to itself`);
    // A peer that reconnects unchanged (both sides connecting at once) is not announced twice.
    if (state.connect(peer) !== 'same') show(peerConnectedLine(peer));
    return { status: 'ok', message: 'Connected', peer_id: self.peer_id, name: self.name };
  });

  app.addRoute('POST', '/broadcast-peer/', (request) => receive(request, 'broadcast'));
  app.addRoute('POST', '/send-peer/', (request) => receive(request, 'direct'));

  app.addRoute('POST', '/disconnect-peer/', (request) => {
    const peer = state.disconnect(readPeerIdBody(request));
    if (!peer) return { status: 'ok', message: 'Was not connected' };
    show(peerLeftLine(peer));
    return { status: 'ok', message: 'Disconnected' };
  });

  /** Both message routes: check the body, keep the message, show it. */
  function receive(request: Request, type: 'broadcast' | 'direct') {
    const { from, msg, name: given, timestamp = Date.now() / 1000 } = readMessageBody(request);
    // The name the sender gave, else the one it connected with, else its id.
    const name = given ?? state.get(from)?.name ?? from;
    state.record({ type, direction: 'in', from, name, msg, timestamp });
    show(messageLine(type, name, from, msg));
    return { status: 'received' };
  }
  return app;
}

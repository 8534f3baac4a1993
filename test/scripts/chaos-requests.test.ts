/**
 * The chaos run's request counting: requests on one keep-alive connection, cut at every byte offset, are each
 * counted once, by kind, with the messages a batch carries; the tracker's and unreadable bytes apart.
 */

import { expect } from 'chai';
import { emptyCounts, RequestStream, totalRequests } from '../../scripts/chaos/requests';

function post(path: string, body: string): string {
  return `POST ${path} HTTP/1.1\r\nHost: 10.0.0.2:5002\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`;
}

const batch = JSON.stringify({ messages: [{ id: 'a/1' }, { id: 'a/2' }, { id: 'a/3' }] });
const connection = [
  post('/connect-peer/', '{"peer_id":"10.0.0.1:5001"}'),
  post('/send-peer/', '{"msg":"POST /send-peer/ HTTP/1.1"}'),
  post('/messages/', batch),
  'GET /history/?channel=general&after=3 HTTP/1.1\r\nHost: 10.0.0.2:5002\r\n\r\n',
  post('/broadcast-peer/', '{"msg":"chaos 1.2 general"}'),
  'GET /identity/ HTTP/1.1\r\nHost: 10.0.0.2:5002\r\n\r\n',
].join('');

describe('chaos requests: RequestStream', () => {
  it('counts each request on a keep-alive connection once, split at every byte offset', () => {
    const bytes = Buffer.from(connection);
    for (let cut = 0; cut <= bytes.length; cut++) {
      const counts = emptyCounts();
      const stream = new RequestStream(counts, false);
      stream.feed(bytes.subarray(0, cut));
      stream.feed(bytes.subarray(cut));
      expect(counts, `cut at ${cut}`).to.deep.equal({
        ...emptyCounts(),
        connectPeer: 1,
        sendPeer: 1,
        batches: 1,
        historyPages: 1,
        broadcastPeer: 1,
        otherPeer: 1,
        carried: 5,
      });
    }
  });

  it('counts a request fed one byte at a time once', () => {
    const counts = emptyCounts();
    const stream = new RequestStream(counts, false);
    for (const byte of Buffer.from(connection)) stream.feed(Buffer.from([byte]));
    expect(totalRequests(counts)).to.equal(6);
  });

  it('counts every request to the tracker as a tracker call, whatever its path', () => {
    const counts = emptyCounts();
    new RequestStream(counts, true).feed(Buffer.from(post('/heartbeat/', '{}') + post('/send-peer/', '{}')));
    expect(counts).to.deep.equal({ ...emptyCounts(), tracker: 2 });
  });

  it('stops reading a connection that is not HTTP (a TLS hello), and says so', () => {
    const counts = emptyCounts();
    const stream = new RequestStream(counts, false);
    stream.feed(Buffer.from([0x16, 0x03, 0x01, 0x02, 0x00, 0x01, 0x00, 0x01, 0xfc, 0x03, 0x03, 0x0d, 0x0a, 0x0d, 0x0a]));
    stream.feed(Buffer.from(post('/send-peer/', '{}')));
    expect(counts).to.deep.equal({ ...emptyCounts(), unparsed: 1 });
  });
});

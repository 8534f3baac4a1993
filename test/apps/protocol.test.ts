/**
 * The chat's shared protocol pieces, with no network: the peer id, the list-entry check, and the readers
 * that turn a request body into clean values or a 400 with a sentence saying what to send.
 * Tests for `apps/protocol.ts` (new: WeApRous `apps/sampleApp.py` and `apps/peer.py` had no such checks).
 */

import { expect } from 'chai';
import { parseRequest, type Request } from '../../daemon/request';
import { HttpError } from '../../daemon/status';
import {
  isPeerEntry,
  optionalName,
  peerId,
  readConnectBody,
  readJsonObject,
  readMessageBody,
  readPeerIdBody,
  readRegisterBody,
  requireIp,
  requireReachableIp,
  unreachableReason,
  channelName,
  readChannelBody,
  readHeartbeatBody,
  MAX_CHANNELS_PER_PEER,
  requirePort,
  requireString,
  MAX_MESSAGE_CHARS,
} from '../../apps/protocol';

/** A POST whose body is `text`, sent as curl -d sends it (form-encoded), so the reader parses the JSON itself. */
function post(text: string): Request {
  const raw = `POST /x/ HTTP/1.1\r\nHost: a\r\nContent-Length: ${Buffer.byteLength(text)}\r\n\r\n${text}`;
  const result = parseRequest(Buffer.from(raw, 'utf8'));
  if (result.kind !== 'request') throw new Error(`fixture does not parse: ${JSON.stringify(result)}`);
  return result.request;
}

/** The sentence of the 400 that `fn` throws. */
function refusal(fn: () => unknown): string {
  try {
    fn();
  } catch (error) {
    expect(error).to.be.instanceOf(HttpError);
    expect((error as HttpError).status).to.equal(400);
    return (error as HttpError).message;
  }
  throw new Error('expected a 400');
}

describe('apps/protocol.ts', () => {
  it('peerId() joins address and port as the document does', () => {
    expect(peerId('127.0.0.1', 5001)).to.equal('127.0.0.1:5001');
  });

  it('isPeerEntry() accepts a list entry and refuses anything missing ip, an integer port or peer_id', () => {
    expect(isPeerEntry({ ip: '127.0.0.1', port: 5001, peer_id: '127.0.0.1:5001' })).to.equal(true);
    for (const bad of [
      null,
      'x',
      { ip: '127.0.0.1', port: '5001', peer_id: 'a' },
      { ip: '127.0.0.1', port: 1.5, peer_id: 'a' },
      { port: 1, peer_id: 'a' },
    ]) {
      expect(isPeerEntry(bad)).to.equal(false);
    }
  });

  describe('readJsonObject()', () => {
    it('uses request.json when the app already parsed it, else parses the text', () => {
      const parsed = post('ignored');
      parsed.json = { a: 1 };
      expect(readJsonObject(parsed, '{}')).to.deep.equal({ a: 1 });
      expect(readJsonObject(post(' {"b":2} '), '{}')).to.deep.equal({ b: 2 });
    });

    it('says what to send for an empty body, bad JSON, or JSON that is not an object', () => {
      expect(refusal(() => readJsonObject(post(''), '{"x":1}'))).to.equal('The body is empty; send a JSON object such as {"x":1}');
      expect(refusal(() => readJsonObject(post('{"x":'), '{"x":1}'))).to.equal(
        'The body is not valid JSON; send a JSON object such as {"x":1}',
      );
      expect(refusal(() => readJsonObject(post('[1]'), '{"x":1}'))).to.equal('The body must be a JSON object such as {"x":1}');
    });
  });

  describe('field readers', () => {
    it('requireIp() takes IPv4, IPv6 and host names, and refuses the rest', () => {
      for (const ip of ['127.0.0.1', '::1', 'my-laptop.local']) expect(requireIp({ ip })).to.equal(ip);
      expect(refusal(() => requireIp({}))).to.match(/^Missing "ip"/);
      expect(refusal(() => requireIp({ ip: 'not an ip!' }))).to.match(/must be an IP address or host name/);
    });

    it('requireIp() refuses an IPv6 zone ("%eth0"): it names an interface of the sender\'s machine', () => {
      expect(refusal(() => requireIp({ ip: 'fe80::1%eth0' }))).to.match(/without a "%" zone/);
      expect(refusal(() => requireIp({ ip: `::1%${':'.repeat(90)}` }))).to.match(/without a "%" zone/);
    });

    it('requireIp() refuses a host name over 100 characters: a peer id names its outbox file', () => {
      const long = `${'a'.repeat(60)}.${'b'.repeat(60)}.example`;
      expect(refusal(() => requireIp({ ip: long }))).to.equal(`"ip" is longer than 100 characters; use the peer's IP address instead`);
      const fits = `${'a'.repeat(60)}.${'b'.repeat(39)}`;
      expect(requireIp({ ip: fits })).to.equal(fits);
    });

    it('requireReachableIp() keeps loopback, private ranges and host names', () => {
      for (const ip of ['127.0.0.1', '10.0.0.7', '192.168.1.20', '172.16.0.1', '::1', 'fd00::1', '8.8.8.8', 'my-laptop.local', 'localhost'])
        expect(requireReachableIp({ ip })).to.equal(ip);
    });

    it('requireReachableIp() refuses addresses no peer can be reached at, with a sentence', () => {
      const cases: Array<[string, RegExp]> = [
        ['0.0.0.0', /"any address"/],
        ['0.1.2.3', /"any address"/],
        ['::', /"any address"/],
        ['::ffff:0.0.0.0', /"any address"/],
        ['169.254.10.1', /link-local/],
        ['fe80::1', /link-local/],
        ['FEBF::1', /link-local/],
        ['224.0.0.1', /multicast/],
        ['239.255.255.250', /multicast/],
        ['ff02::1', /multicast/],
        ['::ffff:224.0.0.1', /multicast/],
        ['255.255.255.255', /broadcast/],
        ['240.0.0.1', /reserved/],
        ['0', /looks like an IPv4 address/],
        ['127.1', /looks like an IPv4 address/],
        ['999.1.1.1', /looks like an IPv4 address/],
      ];
      for (const [ip, why] of cases) {
        const sentence = refusal(() => requireReachableIp({ ip }));
        expect(sentence, ip).to.match(why);
        expect(sentence).to.include(`"ip" ${ip} `);
        expect(sentence).to.match(/send the address other peers reach this peer at, e\.g\. "ip":"127\.0\.0\.1"/);
      }
      expect(unreachableReason('127.0.0.1')).to.equal(null);
    });

    it('requirePort() takes 1-65535 as a number or a string of digits', () => {
      expect(requirePort({ port: 5001 })).to.equal(5001);
      expect(requirePort({ port: '5001' })).to.equal(5001);
      for (const port of [0, 65536, 1.5, 'abc', true]) expect(refusal(() => requirePort({ port }))).to.match(/integer from 1 to 65535/);
    });

    it('requireString() refuses a missing, non-string or over-long value', () => {
      expect(requireString({ msg: 'hi' }, 'msg', 'Hello')).to.equal('hi');
      expect(refusal(() => requireString({ msg: '' }, 'msg', 'Hello'))).to.equal('Missing "msg": send e.g. "msg":"Hello"');
      expect(refusal(() => requireString({ msg: 1 }, 'msg', 'Hello'))).to.match(/must be a string/);
      expect(refusal(() => requireString({ msg: 'x'.repeat(MAX_MESSAGE_CHARS + 1) }, 'msg', 'Hello'))).to.match(/longer than 10000/);
    });

    it('optionalName() trims a name, keeps its spaces and diacritics, and refuses control characters', () => {
      expect(optionalName({})).to.equal(undefined);
      expect(optionalName({ name: ' Nguyễn Văn An ' })).to.equal('Nguyễn Văn An');
      for (const name of ['', '  ', 'a\x1b[2J', 'x'.repeat(65), 7]) expect(refusal(() => optionalName({ name }))).to.match(/display name/);
    });
  });

  describe('body readers', () => {
    it("readRegisterBody() reads the document's /submit-info/ body", () => {
      expect(readRegisterBody(post('{"ip":"127.0.0.1","port":5001,"peer_id":"127.0.0.1:5001"}'))).to.deep.equal({
        ip: '127.0.0.1',
        port: 5001,
        name: undefined,
      });
    });

    it('readRegisterBody() refuses an address no peer can be reached at', () => {
      expect(refusal(() => readRegisterBody(post('{"ip":"0.0.0.0","port":5001}')))).to.match(/^"ip" 0\.0\.0\.0 is the "any address"/);
    });

    it('readPeerIdBody() reads {"peer_id": ...}', () => {
      expect(readPeerIdBody(post('{"peer_id":"127.0.0.1:5001"}'))).to.equal('127.0.0.1:5001');
      expect(refusal(() => readPeerIdBody(post('{}')))).to.match(/^Missing "peer_id"/);
    });

    it('readConnectBody() makes the id from ip and port, names a nameless peer by its id, and refuses a foreign peer_id', () => {
      expect(readConnectBody(post('{"ip":"127.0.0.1","port":5002,"peer_id":"127.0.0.1:5002","name":"Bob"}'))).to.deep.equal({
        ip: '127.0.0.1',
        port: 5002,
        peer_id: '127.0.0.1:5002',
        name: 'Bob',
      });
      expect(readConnectBody(post('{"ip":"127.0.0.1","port":5002}')).name).to.equal('127.0.0.1:5002');
      expect(refusal(() => readConnectBody(post('{"ip":"127.0.0.1","port":5002,"peer_id":"127.0.0.1:5001"}')))).to.equal(
        '"peer_id" must be "ip:port" of the ip and port sent, here "127.0.0.1:5002" (or leave it out)',
      );
    });

    it('readConnectBody() refuses an address no peer can be reached at (a broadcast would connect there)', () => {
      for (const ip of ['169.254.169.254', '0.0.0.0', '224.0.0.1', '255.255.255.255']) {
        expect(refusal(() => readConnectBody(post(`{"ip":"${ip}","port":5002}`)))).to.include(ip);
      }
    });

    it("readMessageBody() reads the document's message body; name and timestamp may be left out", () => {
      expect(
        readMessageBody(post('{"from":"127.0.0.1:9001","name":"TestPeer","msg":"Hello via curl!","timestamp":1699680000}')),
      ).to.deep.equal({ from: '127.0.0.1:9001', msg: 'Hello via curl!', name: 'TestPeer', timestamp: 1699680000 });
      expect(readMessageBody(post('{"from":"127.0.0.1:9001","msg":"hi","timestamp":"soon"}'))).to.deep.equal({
        from: '127.0.0.1:9001',
        msg: 'hi',
        name: undefined,
        timestamp: undefined,
      });
    });
  });

  describe('channels', () => {
    it('channelName() drops one leading #, lower-cases, and refuses anything but 1-32 of letters, digits, - and _', () => {
      expect(channelName('team')).to.equal('team');
      expect(channelName('#Team_2-b')).to.equal('team_2-b');
      expect(channelName('x'.repeat(32))).to.equal('x'.repeat(32));
      for (const bad of ['', '#', '##team', 'x'.repeat(33), 'my team', 'tèam', 'team!', '#']) expect(channelName(bad), bad).to.equal(null);
    });

    it('readChannelBody() reads a join, a private join and a leave', () => {
      expect(readChannelBody(post('{"peer_id":"127.0.0.1:5001","channel":"#Team"}'))).to.deep.equal({
        peer_id: '127.0.0.1:5001',
        channel: 'team',
        leave: false,
      });
      expect(readChannelBody(post('{"peer_id":"127.0.0.1:5001","channel":"team","key":"s3cret"}')).key).to.equal('s3cret');
      expect(readChannelBody(post('{"peer_id":"127.0.0.1:5001","channel":"team","leave":true}')).leave).to.equal(true);
    });

    it('readChannelBody() says what to send for each bad field', () => {
      expect(refusal(() => readChannelBody(post('{"channel":"team"}')))).to.match(/^Missing "peer_id"/);
      expect(refusal(() => readChannelBody(post('{"peer_id":"127.0.0.1:5001"}')))).to.equal(
        'Missing "channel": send a channel name, e.g. "channel":"team"',
      );
      expect(refusal(() => readChannelBody(post('{"peer_id":"127.0.0.1:5001","channel":"my team"}')))).to.equal(
        '"channel" must be a channel name of 1 to 32 letters, digits, "-" or "_", e.g. "channel":"team"',
      );
      expect(refusal(() => readChannelBody(post('{"peer_id":"127.0.0.1:5001","channel":7}')))).to.match(/must be a channel name/);
      expect(refusal(() => readChannelBody(post('{"peer_id":"127.0.0.1:5001","channel":"team","key":""}')))).to.match(
        /"key" must be 1 to 128 characters/,
      );
      expect(refusal(() => readChannelBody(post('{"peer_id":"127.0.0.1:5001","channel":"team","key":"a\\u0007"}')))).to.match(
        /"key" must be/,
      );
      expect(refusal(() => readChannelBody(post('{"peer_id":"127.0.0.1:5001","channel":"team","leave":"yes"}')))).to.match(
        /"leave" must be true/,
      );
    });

    it("readHeartbeatBody() reads the document's body unchanged, and optional channels", () => {
      expect(readHeartbeatBody(post('{"peer_id":"127.0.0.1:5001"}'))).to.deep.equal({ peer_id: '127.0.0.1:5001' });
      expect(
        readHeartbeatBody(post('{"peer_id":"127.0.0.1:5001","channels":[{"channel":"#Team","key":"k"},{"channel":"dev"}]}')),
      ).to.deep.equal({ peer_id: '127.0.0.1:5001', channels: [{ channel: 'team', key: 'k' }, { channel: 'dev' }] });
    });

    it('readHeartbeatBody() refuses channels that are not a short list of {"channel":...}', () => {
      const many = JSON.stringify(Array.from({ length: MAX_CHANNELS_PER_PEER + 2 }, (_, i) => ({ channel: `c${i}` })));
      for (const channels of ['"team"', '{}', many]) {
        expect(refusal(() => readHeartbeatBody(post(`{"peer_id":"127.0.0.1:5001","channels":${channels}}`)))).to.match(
          /"channels" must be a list of at most 32 channels/,
        );
      }
      expect(refusal(() => readHeartbeatBody(post('{"peer_id":"127.0.0.1:5001","channels":["team"]}')))).to.equal(
        '"channels"[0] must be an object such as {"channel":"team"}',
      );
      expect(refusal(() => readHeartbeatBody(post('{"peer_id":"127.0.0.1:5001","channels":[{"channel":"a b"}]}')))).to.match(
        /must be a channel name/,
      );
    });
  });
});

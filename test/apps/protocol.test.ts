/**
 * The chat's wire protocol, with no network: the list-entry check, channel names, and the readers that turn
 * a whole request body into clean values or a 400 with a sentence saying what to send.
 * Tests for `apps/protocol.ts` (new: WeApRous `apps/sampleApp.py` and `apps/peer.py` had no such checks).
 */

import { expect } from 'chai';
import {
  channelName,
  isPeerEntry,
  MAX_CHANNELS_PER_PEER,
  readChannelBody,
  readConnectBody,
  readHeartbeatBody,
  readMessageBody,
  readPeerIdBody,
  readRegisterBody,
} from '../../apps/protocol';
import { post, refusal } from '../helpers/bodies';

describe('apps/protocol.ts', () => {
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

  describe('body readers', () => {
    it("readRegisterBody() reads the document's /submit-info/ body", () => {
      expect(readRegisterBody(post('{"ip":"127.0.0.1","port":5001,"peer_id":"127.0.0.1:5001"}'))).to.deep.equal({
        ip: '127.0.0.1',
        port: 5001,
        name: undefined,
      });
    });

    it('readRegisterBody() and readConnectBody() read "scheme":"https", take "http" as none, and refuse another', () => {
      const body = '"ip":"127.0.0.1","port":5001,"peer_id":"127.0.0.1:5001","name":"Alice"';
      expect(readRegisterBody(post(`{${body},"scheme":"https"}`)).scheme).to.equal('https');
      expect(readConnectBody(post(`{${body},"scheme":"https"}`)).scheme).to.equal('https');
      expect(readConnectBody(post(`{${body},"scheme":"http"}`))).not.to.have.property('scheme');
      expect(refusal(() => readRegisterBody(post(`{${body},"scheme":"ftp"}`)))).to.match(/^"scheme" must be "https"/);
      expect(isPeerEntry({ ip: '127.0.0.1', port: 5001, peer_id: '127.0.0.1:5001', scheme: 'https' })).to.equal(true);
      expect(isPeerEntry({ ip: '127.0.0.1', port: 5001, peer_id: '127.0.0.1:5001', scheme: 'gopher' })).to.equal(false);
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

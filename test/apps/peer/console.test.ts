/**
 * The lines the peer console shows, compared word for word with the reference document.
 * Tests for `apps/peer/console.ts` (the `print` calls of WeApRous `apps/peer.py`).
 */

import { expect } from 'chai';
import * as view from '../../../apps/peer/console';
import { parseCommand } from '../../../apps/peer/commands';
import type { PeerInfo } from '../../../apps/peer/state';

const RULE = '='.repeat(60);
const alice: PeerInfo = { peer_id: '127.0.0.1:5001', ip: '127.0.0.1', port: 5001, name: 'Alice' };
const bob: PeerInfo = { peer_id: '127.0.0.1:5002', ip: '127.0.0.1', port: 5002, name: 'Bob' };
const jack: PeerInfo = { peer_id: '127.0.0.1:5003', ip: '127.0.0.1', port: 5003, name: 'Jack' };

describe('peer console rendering', () => {
  it('prints the banner of Test 2', () => {
    expect(view.peerBanner(alice, 'http://127.0.0.1:8000')).to.deep.equal([
      RULE,
      'Task 2: Peer Application Starting...',
      'Peer Name: Alice',
      'Peer ID: 127.0.0.1:5001',
      'Listening on: 127.0.0.1:5001',
      'Tracker: http://127.0.0.1:8000',
      RULE,
    ]);
  });

  it('prints the console header and the prompt of Test 2', () => {
    expect(view.consoleHeader()).to.deep.equal(['', RULE, 'Peer Console - Type /help for commands', RULE]);
    expect(view.prompt('Alice')).to.equal('[Alice] > ');
  });

  it('prints the tracker lines of Test 2', () => {
    expect(view.trackerLines.registered('ok')).to.equal('[Tracker] Registration successful: OK');
    expect(view.trackerLines.discovering()).to.equal('Discovering peers...');
    expect(view.trackerLines.found(3)).to.equal('[Tracker] Found 3 peers');
  });

  it('prints both sides of a connection as in Test 3', () => {
    expect(view.connectedToPeerLine(alice)).to.equal('[P2P] Connected to peer: Alice (127.0.0.1:5001)');
    expect(view.peerConnectedLine(bob)).to.equal('[P2P] Peer connected: Bob (127.0.0.1:5002)');
  });

  it('prints /peers as in Test 5, and says what to do when there are none', () => {
    expect(view.peersLines([bob, jack])).to.deep.equal([
      'Connected peers (2)',
      '  - Bob (127.0.0.1:5002)',
      '  - Jack (127.0.0.1:5003)',
      '',
    ]);
    expect(view.peersLines([]).join('\n')).to.match(/^Connected peers \(0\)\n.*\/discover/);
  });

  it('prints received messages as in Tests 6 and 7', () => {
    expect(view.messageLine('broadcast', 'Alice', '127.0.0.1:5001', 'Hello everyone from Alice!')).to.equal(
      '[BROADCAST] Alice (127.0.0.1:5001): Hello everyone from Alice!',
    );
    expect(view.messageLine('direct', 'Alice', '127.0.0.1:5001', 'Hi Bob, this is Alice speaking privately')).to.equal(
      '[DIRECT] Alice (127.0.0.1:5001): Hi Bob, this is Alice speaking privately',
    );
  });

  it('reports a broadcast as "sent to k/n peers" and names each peer that failed', () => {
    expect(view.broadcastReport(2, 2, [])).to.deep.equal(['[P2P] Broadcast sent to 2/2 peers']);
    expect(view.broadcastReport(1, 2, [{ peer: jack, reason: 'No response from 127.0.0.1:5003 within 3000 ms' }])).to.deep.equal([
      '[P2P] Broadcast sent to 1/2 peers',
      '[P2P]   failed: Jack (127.0.0.1:5003) - No response from 127.0.0.1:5003 within 3000 ms',
    ]);
    expect(view.broadcastReport(0, 0, [])[0]).to.match(/No connected peers.*\/discover/);
  });

  it('confirms a direct message as in Test 7', () => {
    expect(view.directSentLine(bob)).to.equal('[P2P] Direct message sent to 127.0.0.1:5002');
  });

  it('answers a mistyped command with what to type', () => {
    const unknown = parseCommand('/conect');
    const direct = parseCommand('/direct Bob');
    const extra = parseCommand('/quit now');
    if (unknown.kind !== 'unknown' || direct.kind !== 'usage-error' || extra.kind !== 'usage-error')
      throw new Error('parseCommand changed');
    expect(view.commandErrorLine(unknown)).to.equal(
      'Unknown command "/conect". Type /help for the commands, or type text without a leading "/" to broadcast it.',
    );
    expect(view.commandErrorLine(direct)).to.equal('Usage: /direct <peer_id or name> <message>, e.g. /direct 127.0.0.1:5002 Hi Bob');
    expect(view.commandErrorLine(extra)).to.equal('/quit takes no arguments; type just /quit');
  });

  it('answers a message that is too long with its length and the limit, before sending it', () => {
    const long = parseCommand('x'.repeat(12_000));
    if (long.kind !== 'too-long') throw new Error('parseCommand changed');
    expect(view.commandErrorLine(long)).to.equal(
      'Not sent: the message has 12000 characters and peers accept at most 10000. Send it in shorter parts.',
    );
  });

  it('answers /direct to an unknown or shared name with what to type', () => {
    expect(view.unknownPeerLine('Zed')).to.equal(
      'No connected peer is called "Zed". Type /peers to see who is connected, then /direct <peer_id or name> <message>.',
    );
    expect(view.unknownPeerLine('Bob', [bob, { ...jack, name: 'Bob' }])).to.equal(
      '2 peers are called "Bob": Bob (127.0.0.1:5002), Bob (127.0.0.1:5003). Use the peer id, e.g. /direct 127.0.0.1:5002 <message>',
    );
  });

  it('lists every command in /help', () => {
    const help = view.helpLines().join('\n');
    for (const command of ['/help', '/peers', '/discover', '/direct', '/quit']) expect(help).to.include(command);
  });

  it('keeps a message from the network on one line, without escape sequences', () => {
    expect(view.messageLine('broadcast', 'Ev\x1b[2Jil', '1.2.3.4:5', 'two\nlines\r\nand a bell\x07')).to.equal(
      '[BROADCAST] Ev?[2Jil (1.2.3.4:5): two lines and a bell?',
    );
    expect(view.clean('tab\there')).to.equal('tab here');
  });
});

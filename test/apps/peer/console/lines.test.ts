/**
 * The lines the peer console shows, compared word for word with the reference document.
 * Tests for `apps/peer/console/lines.ts` (the `print` calls of WeApRous `apps/peer.py`).
 */

import { expect } from 'chai';
import * as view from '../../../../apps/peer/console/lines';
import { mentions } from '../../../../apps/peer/model/views';
import * as notices from '../../../../apps/peer/console/notices';
import { parseCommand } from '../../../../apps/peer/console/commands';
import type { PeerInfo } from '../../../../apps/peer/model/peers';

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

  it('adds the browser chat to the banner, and says how to log in', () => {
    const banner = view.peerBanner(alice, 'http://127.0.0.1:8000', 'http://127.0.0.1:5001/');
    expect(banner.slice(5, 8)).to.deep.equal(['Tracker: http://127.0.0.1:8000', 'Web UI: http://127.0.0.1:5001/', RULE]);
    expect(view.webLines.link('http://127.0.0.1:5001/login/?token=abc', 10)).to.deep.equal([
      '[Web] Log in with this link (works once, within 10 minutes; /web prints a fresh one):',
      'http://127.0.0.1:5001/login/?token=abc',
    ]);
    expect(view.webLines.message(alice, 'in #general', 'hi\nthere')).to.equal('[Web] Alice (127.0.0.1:5001) in #general: hi there');
    expect(view.helpLines().join('\n')).to.include('/web');
  });

  it('narrows the banners to a narrow screen, and lays /help out to fit it without breaking a word', () => {
    expect(view.consoleHeader(40)[1]).to.equal('='.repeat(39));
    expect(view.peerBanner(alice, 'http://127.0.0.1:8000', undefined, 80)[0]).to.equal(RULE);
    for (const columns of [80, 40, 32]) {
      const help = view.helpLines(columns);
      for (const line of help) expect(line.length, line).to.be.below(columns);
      const words = (lines: string[]) =>
        lines
          .join(' ')
          .split(/\s+/)
          .filter((w) => w !== '');
      expect(words(help)).to.deep.equal(words(view.helpLines()));
    }
    expect(view.wrapWords('a b c', 4, '')).to.deep.equal(['a b', 'c']);
    expect(view.helpLines().join('\n')).to.include('/outbox drop <peer>');
  });

  it('prints the console header and the prompt of Test 2', () => {
    expect(view.consoleHeader()).to.deep.equal(['', RULE, 'Peer Console - Type /help for commands', RULE]);
    expect(view.prompt('Alice')).to.equal('[Alice] > ');
  });

  it('prints the tracker lines of Test 2', () => {
    expect(notices.trackerLines.registered('ok')).to.equal('[Tracker] Registration successful: OK');
    expect(notices.trackerLines.discovering()).to.equal('Discovering peers...');
    expect(notices.trackerLines.found(3)).to.equal('[Tracker] Found 3 peers');
  });

  it('prints both sides of a connection as in Test 3', () => {
    expect(view.connectedToPeerLine(alice)).to.equal('[P2P] Connected to peer: Alice (127.0.0.1:5001)');
    expect(notices.peerConnectedLine(bob)).to.equal('[P2P] Peer connected: Bob (127.0.0.1:5002)');
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

  it('shows in /peers how many messages wait for each peer, connected or not', () => {
    const waiting = new Map([
      [bob.peer_id, 3],
      [jack.peer_id, 0],
      ['127.0.0.1:9001', 1],
    ]);
    expect(view.peersLines([bob, jack], waiting)).to.deep.equal([
      'Connected peers (2)',
      '  - Bob (127.0.0.1:5002) - 3 messages waiting',
      '  - Jack (127.0.0.1:5003)',
      'Not connected, messages waiting (1; /outbox lists them)',
      '  - 127.0.0.1:9001 - 1 message waiting',
      '',
    ]);
    expect(view.peersLines([bob, jack], new Map(), (id) => id === bob.peer_id)).to.deep.equal([
      'Connected peers (2)',
      '  - Bob (127.0.0.1:5002)',
      '  - Jack (127.0.0.1:5003) [unverified]',
      '',
    ]);
    expect(notices.queuedLine(bob, 1)).to.equal(
      '[P2P]   queued for Bob (127.0.0.1:5002): 1 message waiting, sent again until it is delivered',
    );
  });

  it('prints received messages as in Tests 6 and 7', () => {
    expect(notices.messageLine('broadcast', 'Alice', '127.0.0.1:5001', 'Hello everyone from Alice!')).to.equal(
      '[BROADCAST] Alice (127.0.0.1:5001): Hello everyone from Alice!',
    );
    expect(notices.messageLine('direct', 'Alice', '127.0.0.1:5001', 'Hi Bob, this is Alice speaking privately')).to.equal(
      '[DIRECT] Alice (127.0.0.1:5001): Hi Bob, this is Alice speaking privately',
    );
  });

  it('reports a broadcast as "sent to k/n peers" and names each peer that failed', () => {
    expect(notices.broadcastReport(2, 2, [])).to.deep.equal(['[P2P] Broadcast sent to 2/2 peers']);
    expect(notices.broadcastReport(1, 2, [{ peer: jack, reason: 'No response from 127.0.0.1:5003 within 3000 ms' }])).to.deep.equal([
      '[P2P] Broadcast sent to 1/2 peers',
      '[P2P]   failed: Jack (127.0.0.1:5003) - No response from 127.0.0.1:5003 within 3000 ms',
    ]);
    expect(notices.broadcastReport(0, 0, [])[0]).to.match(/No connected peers.*\/discover/);
  });

  it('names three peers a message did not reach, and counts the rest in one line: fakes cannot fill the screen', () => {
    const fakes = Array.from({ length: 14 }, (_, i) => ({
      peer_id: `127.0.0.66:${6000 + i}`,
      ip: '127.0.0.66',
      port: 6000 + i,
      name: `fake${i}`,
    }));
    const report = {
      sent: 2,
      total: 16,
      failures: fakes.map((peer) => ({ peer, reason: 'No response' })),
      queued: fakes.map((peer) => ({ peer, waiting: 1 })),
      dropped: [],
    };
    const lines = notices.reportLines(report);
    expect(lines).to.deep.equal([
      '[P2P] Broadcast sent to 2/16 peers',
      '[P2P]   failed: fake0 (127.0.0.66:6000) - No response',
      '[P2P]   failed: fake1 (127.0.0.66:6001) - No response',
      '[P2P]   failed: fake2 (127.0.0.66:6002) - No response',
      notices.queuedLine(fakes[0], 1),
      notices.queuedLine(fakes[1], 1),
      notices.queuedLine(fakes[2], 1),
      '[P2P]   and 11 more peers not reached now: each message waits in its outbox, or the peer was removed (type /peers)',
    ]);
    // Three or fewer: each named, as before.
    const two = { ...report, total: 4, failures: report.failures.slice(0, 2), queued: report.queued.slice(0, 2) };
    expect(notices.reportLines(two)).to.have.length(5);
  });

  it('confirms a direct message as in Test 7', () => {
    expect(notices.directSentLine(bob)).to.equal('[P2P] Direct message sent to 127.0.0.1:5002');
  });

  it('says when a direct message went in clear, to a peer with no key', () => {
    expect(notices.directSentLine(bob, true)).to.equal(
      '[P2P] Direct message sent to 127.0.0.1:5002, in clear: Bob has no key, so anyone on the network can read it',
    );
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
    for (const command of ['/help', '/peers', '/discover', '/direct', '/history', '/join', '/leave', '/channels', '/switch', '/quit'])
      expect(help).to.include(command);
  });

  it('prints /history with local times HH:MM, oldest first, and says how many are held', () => {
    const at = new Date(2025, 10, 11, 9, 5).getTime() / 1000; // 09:05 in this machine's time zone
    const message = (msg: string, timestamp: number) => ({
      id: msg,
      channel: 'general',
      from: bob.peer_id,
      name: 'Bob',
      msg,
      timestamp,
      clock: 1,
    });
    expect(view.historyLines('#general', [message('Hi', at), message('Again\x1b[2J', at + 3600)], 5)).to.deep.equal([
      'History of #general (last 2 of 5):',
      '  [09:05] Bob (127.0.0.1:5002): Hi',
      '  [10:05] Bob (127.0.0.1:5002): Again\\u001b[2J',
    ]);
    expect(view.historyLines('#general', [message('Hi', at)], 1)[0]).to.equal('History of #general (1):');
    expect(view.historyLines('#general', [], 0)).to.deep.equal(['No messages in #general yet']);
  });

  it('shows the current channel and the unread count in the prompt; #general keeps [Alice] >', () => {
    expect(view.prompt('Alice')).to.equal('[Alice] > ');
    expect(view.prompt('Alice', 'general')).to.equal('[Alice] > ');
    expect(view.prompt('Alice', 'team')).to.equal('[Alice #team] > ');
    expect(view.prompt('Alice', 'team', 3)).to.equal('[Alice #team, 3 unread] > ');
  });

  it('prints channel messages, /channels, and highlights a mention', () => {
    expect(view.channelMessageLine('team', 'Alice', '127.0.0.1:5001', 'hi')).to.equal('[#team] Alice (127.0.0.1:5001): hi');
    expect(
      view.channelsLines([
        { name: 'general', current: true, unread: 0, private: false },
        { name: 'secret', current: false, unread: 2, private: true },
      ]),
    ).to.deep.equal(['Channels (2):', '  * #general', '    #secret (private, 2 unread)', '']);
    expect(mentions('hi @bob!', 'Bob')).to.equal(true);
    expect(mentions('hi @bobby', 'Bob')).to.equal(false);
    expect(mentions('hi @Nguyễn Văn An', 'Nguyễn Văn An')).to.equal(true);
    expect(view.highlight('line', false)).to.equal('>> line');
    expect(view.highlight('line', true)).to.equal('\x1b[1;7mline\x1b[0m');
  });

  it('answers a mistyped /history with its usage', () => {
    expect(view.commandErrorLine({ kind: 'usage-error', command: '/history', usage: '' })).to.match(
      /^Usage: \/history \[#channel\|peer\] \[n\]/,
    );
  });

  describe('clean(): text from other peers', () => {
    it('keeps a message on one line and shows control characters and escape sequences as their codes', () => {
      expect(notices.messageLine('broadcast', 'Ev\x1b[2Jil', '1.2.3.4:5', 'two\nlines\r\nand a bell\x07')).to.equal(
        '[BROADCAST] Ev\\u001b[2Jil (1.2.3.4:5): two lines and a bell\\u0007',
      );
      expect(view.clean('tab\there\rback')).to.equal('tab here back');
      expect(view.clean('\x00\x0b\x0c\x7f')).to.equal('\\u0000\\u000b\\u000c\\u007f');
    });

    it('shows C1 controls (U+0080-009F, CSI included) as their codes', () => {
      expect(view.clean('a\x9b2Jb\x85c')).to.equal('a\\u009b2Jb\\u0085c');
    });

    it('shows bidi embeddings, overrides, isolates and marks as their codes', () => {
      for (const code of [0x202a, 0x202b, 0x202c, 0x202d, 0x202e, 0x2066, 0x2067, 0x2068, 0x2069, 0x200e, 0x200f, 0x061c]) {
        const hex = code.toString(16).padStart(4, '0');
        expect(view.clean(`a${String.fromCharCode(code)}b`)).to.equal(`a\\u${hex}b`);
      }
      expect(view.clean('invoice\u202eexe.pdf')).to.equal('invoice\\u202eexe.pdf');
    });

    it('shows zero-width characters as their codes', () => {
      for (const code of [0x200b, 0x200c, 0x200d, 0x2060, 0x2061, 0x2062, 0x2063, 0x2064, 0xfeff]) {
        const hex = code.toString(16).padStart(4, '0');
        expect(view.clean(`Al${String.fromCharCode(code)}ice`)).to.equal(`Al\\u${hex}ice`);
      }
    });

    it('shows the line and paragraph separators U+2028 and U+2029 as their codes', () => {
      expect(view.clean('one\u2028two\u2029three')).to.equal('one\\u2028two\\u2029three');
    });

    it('prints Vietnamese with combining tone marks and emoji unchanged', () => {
      const vietnamese = 'Tie\u0302\u0301ng Vie\u0323\u0302t co\u0301 da\u0302\u0301u: Xin cha\u0300o! Tiếng Việt';
      const emoji = '👍 👍🏽 ❤️ 🇻🇳 👨\u200d👩\u200d👧 🏳️\u200d🌈';
      expect(view.clean(vietnamese)).to.equal(vietnamese);
      expect(view.clean(emoji)).to.equal(emoji);
      expect(notices.messageLine('direct', 'Bảo', '127.0.0.1:5004', `${vietnamese} ${emoji}`)).to.equal(
        `[DIRECT] Bảo (127.0.0.1:5004): ${vietnamese} ${emoji}`,
      );
    });

    it('escapes names and peer ids as well as messages', () => {
      expect(notices.messageLine('broadcast', 'Bob\u202e', '127.0.0.1:5002\u2028', 'hi')).to.equal(
        '[BROADCAST] Bob\\u202e (127.0.0.1:5002\\u2028): hi',
      );
      expect(view.describePeer({ name: '\u200bBob', peer_id: '127.0.0.1:5002' })).to.equal('\\u200bBob (127.0.0.1:5002)');
    });

    it('escapes the reasons and statuses that quote an answer from another peer or the tracker', () => {
      const reason = 'Answer 400: bad\n[BROADCAST] Bob (127.0.0.1:5002): hi\x1b[2J\u202e';
      const shown = 'Answer 400: bad [BROADCAST] Bob (127.0.0.1:5002): hi\\u001b[2J\\u202e';
      expect(notices.broadcastReport(0, 1, [{ peer: jack, reason }])[1]).to.equal(`[P2P]   failed: Jack (127.0.0.1:5003) - ${shown}`);
      expect(notices.directFailedLine({ peer: bob, reason })).to.equal(`[P2P] Direct message to Bob (127.0.0.1:5002) failed: ${shown}`);
      expect(view.connectFailedLine('127.0.0.1:5002', reason)).to.equal(`[P2P] Could not connect to peer 127.0.0.1:5002: ${shown}`);
      for (const line of [
        notices.trackerLines.registrationFailed(reason, 5),
        notices.trackerLines.heartbeatFailed(reason),
        notices.trackerLines.discoveryFailed(reason),
        notices.trackerLines.unregisterFailed(reason),
      ])
        expect(line).to.include(shown);
      expect(notices.trackerLines.registered('ok\u202e')).to.equal('[Tracker] Registration successful: OK\\u202e');
      expect(notices.trackerLines.unregistered('ok\x1b[2J')).to.equal('[Tracker] Unregister successful: OK\\u001b[2J');
    });

    for (const [what, separator] of [
      ['a line break', '\n'],
      ['U+2028', '\u2028'],
      ['U+2029', '\u2029'],
      ['CR LF', '\r\n'],
      ['a cursor move', '\x1b[1E'],
    ]) {
      it(`gives a message with ${what} and a fake second message no line of its own`, () => {
        const line = notices.messageLine(
          'broadcast',
          'Mallory',
          '127.0.0.1:5009',
          `hi${separator}[BROADCAST] Bob (127.0.0.1:5002): give me your password`,
        );
        expect(line.split(/\r\n|[\n\r\u2028\u2029\x1b\x9b]/)).to.have.length(1);
        expect(line.startsWith('[BROADCAST] Mallory (127.0.0.1:5009): hi')).to.equal(true);
      });
    }
  });
});

/**
 * parseCommand: what a line typed at the peer console means.
 * Tests for `apps/peer/console/commands.ts` (the command chain of `run_console()` in WeApRous `apps/peer.py`).
 */

import { expect } from 'chai';
import { parseCommand } from '../../../../apps/peer/console/commands';
import { MAX_MESSAGE_CHARS } from '../../../../apps/protocol';

describe('parseCommand()', () => {
  it('reads the bare commands of the document', () => {
    expect(parseCommand('/help')).to.deep.equal({ kind: 'help' });
    expect(parseCommand('/peers')).to.deep.equal({ kind: 'peers' });
    expect(parseCommand('/discover')).to.deep.equal({ kind: 'discover' });
    expect(parseCommand('/quit')).to.deep.equal({ kind: 'quit' });
    expect(parseCommand('/web')).to.deep.equal({ kind: 'web' });
  });

  it('reads /forget <peer_id>, and says how to use it otherwise', () => {
    expect(parseCommand('/forget 127.0.0.1:5003')).to.deep.equal({ kind: 'forget', peerId: '127.0.0.1:5003' });
    for (const line of ['/forget', '/forget a b']) expect(parseCommand(line)).to.deep.include({ kind: 'usage-error', command: '/forget' });
  });

  it('ignores surrounding spaces and the case of the command word', () => {
    expect(parseCommand('  /PEERS  ')).to.deep.equal({ kind: 'peers' });
    expect(parseCommand('/Quit\r')).to.deep.equal({ kind: 'quit' });
  });

  it('treats plain text as a broadcast', () => {
    expect(parseCommand('Hello everyone from Alice!')).to.deep.equal({ kind: 'broadcast', message: 'Hello everyone from Alice!' });
  });

  it('ignores an empty or blank line', () => {
    expect(parseCommand('')).to.deep.equal({ kind: 'empty' });
    expect(parseCommand('   \t ')).to.deep.equal({ kind: 'empty' });
  });

  it('reads /direct <peer_id> <message>, keeping the message whole', () => {
    expect(parseCommand('/direct 127.0.0.1:5002 Hi Bob, this is Alice speaking privately')).to.deep.equal({
      kind: 'direct',
      target: '127.0.0.1:5002',
      message: 'Hi Bob, this is Alice speaking privately',
    });
  });

  it('reads /history [#channel|peer] [n]: #general and 20 unless given', () => {
    expect(parseCommand('/history')).to.deep.equal({ kind: 'history', count: 20 });
    expect(parseCommand('/history 50')).to.deep.equal({ kind: 'history', count: 50 });
    expect(parseCommand('/history #general 5')).to.deep.equal({ kind: 'history', target: '#general', count: 5 });
    expect(parseCommand('/history Bob')).to.deep.equal({ kind: 'history', target: 'Bob', count: 20 });
    expect(parseCommand('/history Nguyễn Văn An 10')).to.deep.equal({ kind: 'history', target: 'Nguyễn Văn An', count: 10 });
    expect(parseCommand('/history "Nguyễn Văn An"')).to.deep.equal({ kind: 'history', target: 'Nguyễn Văn An', count: 20 });
    for (const line of ['/history 0', '/history Bob 1001']) expect(parseCommand(line).kind, line).to.equal('usage-error');
  });

  it('reads /join #name [KEY], /leave #name, /switch #name and /channels', () => {
    expect(parseCommand('/join #team')).to.deep.equal({ kind: 'join', channel: '#team' });
    expect(parseCommand('/join #secret s3cret')).to.deep.equal({ kind: 'join', channel: '#secret', key: 's3cret' });
    expect(parseCommand('/leave #team')).to.deep.equal({ kind: 'leave', channel: '#team' });
    expect(parseCommand('/switch #team')).to.deep.equal({ kind: 'switch', channel: '#team' });
    expect(parseCommand('/channels')).to.deep.equal({ kind: 'channels' });
    for (const line of ['/join', '/join #a b c', '/leave', '/leave #a key', '/switch'])
      expect(parseCommand(line).kind, line).to.equal('usage-error');
  });

  it('reads /direct <name> <message>', () => {
    expect(parseCommand('/direct Bob  hi  there')).to.deep.equal({ kind: 'direct', target: 'Bob', message: 'hi  there' });
  });

  it('answers /direct without a peer or without a message with its usage', () => {
    for (const line of ['/direct', '/direct ', '/direct Bob', '/direct Bob   ']) {
      const command = parseCommand(line);
      expect(command.kind, line).to.equal('usage-error');
      expect(command)
        .to.have.property('usage')
        .that.match(/^\/direct <peer_id or name> <message>/);
    }
  });

  it('reads a name in double quotes, spaces and all, and marks it quoted', () => {
    expect(parseCommand('/direct "Nguyễn Văn An" Xin chào anh')).to.deep.equal({
      kind: 'direct',
      target: 'Nguyễn Văn An',
      message: 'Xin chào anh',
      quoted: true,
    });
  });

  it('leaves an unquoted name with spaces split at its first space (ChatState.recipient joins it)', () => {
    expect(parseCommand('/direct Nguyễn Văn An Xin chào')).to.deep.equal({ kind: 'direct', target: 'Nguyễn', message: 'Văn An Xin chào' });
  });

  it('answers a quoted name without its closing quote, or without a message, with the usage', () => {
    for (const line of ['/direct "Nguyễn Văn An Xin chào', '/direct "Nguyễn Văn An"', '/direct "" hi']) {
      expect(parseCommand(line).kind, line).to.equal('usage-error');
    }
  });

  it('refuses arguments after a command that takes none', () => {
    expect(parseCommand('/peers all')).to.deep.equal({ kind: 'usage-error', command: '/peers', usage: '/peers' });
  });

  it('names an unknown command', () => {
    expect(parseCommand('/connect 127.0.0.1:5002')).to.deep.equal({ kind: 'unknown', command: '/connect' });
    expect(parseCommand('/')).to.deep.equal({ kind: 'unknown', command: '/' });
  });

  it('refuses a message longer than peers accept, before anything is sent', () => {
    const long = 'ư'.repeat(MAX_MESSAGE_CHARS + 1);
    expect(parseCommand(long)).to.deep.equal({ kind: 'too-long', length: MAX_MESSAGE_CHARS + 1, limit: MAX_MESSAGE_CHARS });
    expect(parseCommand(`/direct Bob ${long}`)).to.deep.equal({
      kind: 'too-long',
      length: MAX_MESSAGE_CHARS + 1,
      limit: MAX_MESSAGE_CHARS,
    });
    expect(parseCommand('ư'.repeat(MAX_MESSAGE_CHARS))).to.deep.equal({ kind: 'broadcast', message: 'ư'.repeat(MAX_MESSAGE_CHARS) });
  });

  it('keeps Vietnamese text with diacritics as it is', () => {
    expect(parseCommand('Chào mọi người, tôi là Dũng!')).to.deep.equal({ kind: 'broadcast', message: 'Chào mọi người, tôi là Dũng!' });
    expect(parseCommand('/direct Bích Xin chào')).to.deep.equal({ kind: 'direct', target: 'Bích', message: 'Xin chào' });
  });

  it('broadcasts "//text" as "/text", the way to send a message starting with a slash', () => {
    expect(parseCommand('//shrug')).to.deep.equal({ kind: 'broadcast', message: '/shrug' });
  });

  it('reads /outbox and /outbox drop <peer>, and shows the usage for anything else', () => {
    expect(parseCommand('/outbox')).to.deep.equal({ kind: 'outbox' });
    expect(parseCommand('/outbox drop TestPeer')).to.deep.equal({ kind: 'outbox', drop: 'TestPeer' });
    expect(parseCommand('/outbox drop').kind).to.equal('usage-error');
    expect(parseCommand('/outbox clear all').kind).to.equal('usage-error');
  });
});

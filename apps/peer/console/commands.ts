/**
 * What the user typed at the peer console, as a value: `parseCommand('/direct Bob hi')` →
 * `{ kind: 'direct', target: 'Bob', message: 'hi' }`. Pure: no printing, no network.
 * Ports the if/elif chain of `run_console()` in WeApRous `apps/peer.py`: text starting with "/" is a
 * command, anything else is broadcast, an empty line is ignored.
 */

import { MAX_MESSAGE_CHARS } from '../../protocol';

export type Command =
  | { kind: 'empty' }
  | { kind: 'help' }
  | { kind: 'peers' }
  | { kind: 'discover' }
  | { kind: 'quit' }
  /** `/web`: a fresh login link for the browser chat. */
  | { kind: 'web' }
  | { kind: 'broadcast'; message: string }
  /** `quoted`: the name was typed in double quotes, so it is taken exactly as typed. */
  | { kind: 'direct'; target: string; message: string; quoted?: true }
  | { kind: 'channels' }
  /** `/join #team [KEY]`, `/leave #team`, `/switch #team`: `channel` as typed, checked by the app. */
  | { kind: 'join'; channel: string; key?: string }
  | { kind: 'leave'; channel: string }
  | { kind: 'switch'; channel: string }
  /** `/history [#channel|peer] [n]`: no target is #general. */
  | { kind: 'history'; target?: string; count: number }
  | { kind: 'forget'; peerId: string }
  /** `/outbox`, or `/outbox drop <peer>` (`drop`: the peer's id or name as typed). */
  | { kind: 'outbox'; drop?: string }
  | { kind: 'unknown'; command: string }
  | { kind: 'usage-error'; command: string; usage: string }
  | { kind: 'too-long'; length: number; limit: number };

export const DIRECT_USAGE = '/direct <peer_id or name> <message>, e.g. /direct 127.0.0.1:5002 Hi Bob';
export const HISTORY_USAGE = '/history [#channel|peer] [n], n from 1 to 1000 (20 unless given), e.g. /history, /history Bob 50';
export const OUTBOX_USAGE = '/outbox, or /outbox drop <peer_id or name>, e.g. /outbox drop 127.0.0.1:9001';
export const HISTORY_DEFAULT = 20;
export const HISTORY_MAX = 1000;

/** The commands that take no argument, by the word the user types. */
const BARE: Record<string, Command> = {
  '/help': { kind: 'help' },
  '/peers': { kind: 'peers' },
  '/discover': { kind: 'discover' },
  '/quit': { kind: 'quit' },
  '/channels': { kind: 'channels' },
  '/web': { kind: 'web' },
};

export const CHANNEL_USAGE: Record<string, string> = {
  '/join': '/join #name [KEY], e.g. /join #team, or /join #secret s3cret for a private channel',
  '/leave': '/leave #name, e.g. /leave #team',
  '/switch': '/switch #name, e.g. /switch #team (where plain text goes)',
};

/** `parseCommand('hello')` → broadcast; `parseCommand('/peers')` → peers; `parseCommand('/nope')` → unknown. */
export function parseCommand(line: string): Command {
  const text = line.trim();
  if (text === '') return { kind: 'empty' };
  // "//shrug" broadcasts "/shrug": the one way to send a message that starts with a slash.
  if (text.startsWith('//')) return message({ kind: 'broadcast', message: text.slice(1) });
  if (!text.startsWith('/')) return message({ kind: 'broadcast', message: text });

  const space = text.search(/\s/);
  const word = (space === -1 ? text : text.slice(0, space)).toLowerCase();
  const rest = space === -1 ? '' : text.slice(space).trim();
  if (word === '/direct') return parseDirect(rest);
  if (word === '/history') return parseHistory(rest);
  if (word === '/forget') {
    const usage = '/forget <peer_id>, e.g. /forget 127.0.0.1:5003 (after that peer really started over with a new key)';
    return rest === '' || /\s/.test(rest) ? { kind: 'usage-error', command: '/forget', usage } : { kind: 'forget', peerId: rest };
  }
  if (word === '/outbox') {
    const drop = /^drop\s+(\S+)$/i.exec(rest);
    if (rest === '') return { kind: 'outbox' };
    return drop ? { kind: 'outbox', drop: drop[1] } : { kind: 'usage-error', command: '/outbox', usage: OUTBOX_USAGE };
  }
  if (word in CHANNEL_USAGE) return parseChannel(word, rest);
  const bare = BARE[word];
  if (!bare) return { kind: 'unknown', command: word };
  if (rest !== '') return { kind: 'usage-error', command: word, usage: word };
  return bare;
}

/**
 * `/direct <peer> <message>`: the peer is one word (an id or a name), or a name in double quotes
 * (`/direct "Nguyễn Văn An" chào`); the message is the rest of the line. An unquoted name with spaces
 * arrives split at its first space; `ChatState.recipient` puts it back together.
 */
function parseDirect(rest: string): Command {
  const usage: Command = { kind: 'usage-error', command: '/direct', usage: DIRECT_USAGE };
  if (rest.startsWith('"')) {
    const close = rest.indexOf('"', 1);
    const target = rest.slice(1, close).trim();
    const text = rest.slice(close + 1).trim();
    if (close === -1 || target === '' || text === '') return usage;
    return message({ kind: 'direct', target, message: text, quoted: true });
  }
  const space = rest.search(/\s/);
  if (rest === '' || space === -1) return usage;
  return message({ kind: 'direct', target: rest.slice(0, space), message: rest.slice(space).trim() });
}

/** `/join #team`, `/join #team KEY`, `/leave #team`, `/switch #team`: one channel word (a key only for /join). */
function parseChannel(word: string, rest: string): Command {
  const words = rest.split(/\s+/).filter((w) => w !== '');
  const usage: Command = { kind: 'usage-error', command: word, usage: CHANNEL_USAGE[word] };
  if (words.length === 0 || words.length > (word === '/join' ? 2 : 1)) return usage;
  const channel = words[0];
  if (word === '/join') return words[1] === undefined ? { kind: 'join', channel } : { kind: 'join', channel, key: words[1] };
  return word === '/leave' ? { kind: 'leave', channel } : { kind: 'switch', channel };
}

/** `/history`, `/history 50`, `/history #general 5`, `/history Bob`, `/history Nguyễn Văn An 10`. */
function parseHistory(rest: string): Command {
  const words = rest.split(/\s+/).filter((word) => word !== '');
  let count = HISTORY_DEFAULT;
  if (words.length > 0 && /^\d+$/.test(words[words.length - 1])) {
    count = Number(words.pop());
    if (count < 1 || count > HISTORY_MAX) return { kind: 'usage-error', command: '/history', usage: HISTORY_USAGE };
  }
  const target = words.join(' ').replace(/^"(.*)"$/, '$1');
  return target === '' ? { kind: 'history', count } : { kind: 'history', target, count };
}

/** A message the peers would refuse with 400 is stopped here, so the user hears it once, not once per peer. */
function message(command: Extract<Command, { message: string }>): Command {
  const { length } = command.message;
  return length > MAX_MESSAGE_CHARS ? { kind: 'too-long', length, limit: MAX_MESSAGE_CHARS } : command;
}

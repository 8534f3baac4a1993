/**
 * Every line the peer console shows, as pure functions from data to text: banner, prompt, messages,
 * reports and the sentences that answer a mistyped command. Writing them to the screen is
 * `terminal.ts`'s job. Ports the `print` calls scattered through WeApRous `apps/peer.py`; the wording
 * is the reference document's, line for line.
 */

import { type ChannelView, channelReasons } from '../model/channels';
import { CHANNEL_USAGE, DIRECT_USAGE, HISTORY_USAGE, OUTBOX_USAGE, type Command } from './commands';
import { type ChatMessage, tooLongReason } from '../model/message';
import type { PeerInfo } from '../model/peers';

/** The banners' `=====` line: the document's 60 signs, fewer on a narrower screen, so it is never wrapped. */
export function rule(columns?: number): string {
  return '='.repeat(columns === undefined ? 60 : Math.max(1, Math.min(60, columns - 1)));
}

/** The start-up banner of the document's Test 2; `webUrl` adds where the browser chat is; `columns`, the screen's width. */
export function peerBanner(self: PeerInfo, trackerUrl: string, webUrl?: string, columns?: number): string[] {
  const RULE = rule(columns);
  return [
    RULE,
    'Task 2: Peer Application Starting...',
    `Peer Name: ${self.name}`,
    `Peer ID: ${self.peer_id}`,
    `Listening on: ${self.ip}:${self.port}`,
    `Tracker: ${trackerUrl}`,
    ...(webUrl === undefined ? [] : [`Web UI: ${webUrl}`]),
    RULE,
  ];
}

/**
 * Lines about the browser chat (docs/web-ui.md). A login link works once, within `minutes`; `/web` prints a
 * fresh one. `password` says whether the login page takes the password (`--password-file`) too.
 */
export const webLines = {
  /** The link alone on the second line, so a click or `tmux capture-pane -J` takes it whole. */
  link: (url: string, minutes: number) => [
    `[Web] Log in with this link (works once, within ${minutes} minutes; /web prints a fresh one):`,
    url,
  ],
  passwordHint: () => '[Web] Log in with the password this peer was started with (--password-file), or with a link from /web',
  /** A message typed in the browser: `[Web] Alice (127.0.0.1:5001) in #general: hi`, `... to Bob (127.0.0.1:5002): hi`. */
  message: (from: { name: string; peer_id: string }, where: string, text: string) => `[Web] ${describePeer(from)} ${where}: ${clean(text)}`,
  joined: (channel: string) => `[Web] Joined #${channel} (the console still sends to where it was)`,
  left: (channel: string) => `[Web] Left #${channel}`,
};

/** Printed once start-up is over, right before the first prompt. */
export function consoleHeader(columns?: number): string[] {
  return ['', rule(columns), 'Peer Console - Type /help for commands', rule(columns)];
}

/** `[Alice] > ` in #general; `[Alice #team] > ` elsewhere; `[Alice #team, 3 unread] > ` with unread messages elsewhere. */
export function prompt(name: string, channel = 'general', unread = 0): string {
  const where = channel === 'general' ? '' : ` #${channel}`;
  return `[${name}${where}${unread > 0 ? `, ${unread} unread` : ''}] > `;
}

/** Each command of /help and what it does. */
const HELP: Array<[string, string]> = [
  ['/help', 'Show this list'],
  ['/peers', 'List the connected peers'],
  ['/discover', 'Ask the tracker for peers and connect to new ones'],
  ['/history [#channel|peer] [n]', 'Show the last n messages (20 unless given) of #general, a channel or a peer'],
  ['/join #name [KEY]', 'Join a channel (created if new; with a KEY, a private one) and switch to it'],
  ['/leave #name', 'Leave a channel (not #general)'],
  ['/channels', 'List your channels: * marks the current one, with unread counts'],
  ['/switch #name', 'Send plain text to that channel from now on (the prompt shows it)'],
  ['/direct <peer_id|name> <msg>', 'Send a message to one peer, e.g. /direct 127.0.0.1:5002 Hi Bob'],
  ['/outbox', 'List the messages waiting for peers that did not answer'],
  ['/outbox drop <peer>', "Drop the messages waiting for that peer (they stay in this peer's history)"],
  ['/web', 'Print a login link for the browser chat (works once)'],
  ['/forget <peer_id>', "Forget a peer's key, when it really started over with a new one"],
  ['/quit', 'Leave: tell the peers, unregister, exit (Ctrl+C and Ctrl+D too)'],
  ['<text>', 'Send the text to the current channel (#general: every connected peer)'],
  ['@name in a message', 'Mentions that peer: highlighted on its screen'],
  ['//<text>', 'Broadcast text that starts with "/"'],
];

/**
 * The answer to /help: each command with what it does beside it, cut between words to fit a screen `columns`
 * wide (none: a pipe, one line each); on a screen too narrow for two columns (the demo's 40), what it does below.
 */
export function helpLines(columns?: number): string[] {
  const width = columns === undefined ? Infinity : columns - 1;
  const beside = ' '.repeat(31);
  const lines = HELP.flatMap(([usage, what]) => {
    if (width - beside.length >= 30) {
      const [first, ...rest] = wrapWords(what, width, beside);
      return [`  ${usage.padEnd(28)} ${first.slice(beside.length)}`, ...rest];
    }
    return [`  ${usage}`, ...wrapWords(what, width, '      ')];
  });
  return ['Commands:', ...lines, ''];
}

/** `text` in lines of at most `width` characters, each starting with `indent`, cut only between words. */
export function wrapWords(text: string, width: number, indent: string): string[] {
  const lines: string[] = [];
  let line = indent;
  for (const word of text.split(' ')) {
    if (line !== indent && line.length + 1 + word.length > width) {
      lines.push(line);
      line = indent;
    }
    line += line === indent ? word : ` ${word}`;
  }
  return [...lines, line];
}

/** After `/forget`: what changed, and what happens next. */
export function forgotLine(peerId: string, forgotten: boolean): string {
  if (!forgotten) return `[SECURITY] No key is remembered for ${clean(peerId)}; nothing to forget (/peers lists the peers)`;
  return `[SECURITY] Forgot the key of ${clean(peerId)}; the next key it connects with is remembered, once its address confirms it`;
}

/** `Bob (127.0.0.1:5002)` */
export function describePeer(peer: { name: string; peer_id: string }): string {
  return `${clean(peer.name)} (${clean(peer.peer_id)})`;
}

/**
 * The answer to /peers (document Test 5), ending with a blank line as the document shows. `waiting` counts
 * the messages in each peer's outbox; a peer not connected that messages wait for is listed after the others.
 * `verified` says whether a peer's key is known; one whose key is not (a curl "peer") is marked `[unverified]`.
 */
export function peersLines(
  peers: PeerInfo[],
  waiting: Map<string, number> = new Map(),
  verified: (peerId: string) => boolean = () => true,
): string[] {
  const count = (id: string) => (waiting.get(id) ? ` - ${messages(waiting.get(id)!)} waiting` : '');
  const owed = [...waiting].filter(([id, n]) => n > 0 && !peers.some((peer) => peer.peer_id === id));
  // Peers not connected that messages wait for: under a heading of their own, so the count above is what it lists.
  const away =
    owed.length === 0
      ? []
      : [`Not connected, messages waiting (${owed.length}; /outbox lists them)`, ...owed.map(([id]) => `  - ${clean(id)}${count(id)}`)];
  if (peers.length === 0) return ['Connected peers (0)', '  (none yet - type /discover to ask the tracker for peers)', ...away, ''];
  const mark = (id: string) => (verified(id) ? '' : ' [unverified]');
  return [
    `Connected peers (${peers.length})`,
    ...peers.map((peer) => `  - ${describePeer(peer)}${mark(peer.peer_id)}${count(peer.peer_id)}`),
    ...away,
    '',
  ];
}

/** `1 message`, `3 messages` */
export function messages(n: number): string {
  return `${n} message${n === 1 ? '' : 's'}`;
}

/**
 * The answer to `/history`: a title, then one line per message with its local time,
 * `[14:05] Alice (127.0.0.1:5001): Hi`, oldest first. `title` is `#general` or `the conversation with Bob (127.0.0.1:5002)`.
 */
export function historyLines(title: string, messages: ChatMessage[], total: number): string[] {
  if (messages.length === 0) return [`No messages in ${title} yet`];
  const shown = messages.length === total ? `${total}` : `last ${messages.length} of ${total}`;
  return [
    `History of ${title} (${shown}):`,
    ...messages.map((m) => `  [${localTime(m.timestamp)}] ${describePeer({ name: m.name, peer_id: m.from })}: ${clean(m.msg)}`),
  ];
}

/** `HH:MM` in the machine's time zone, from seconds since 1970. */
export function localTime(seconds: number): string {
  const date = new Date(seconds * 1000);
  return `${String(date.getHours()).padStart(2, '0')}:${String(date.getMinutes()).padStart(2, '0')}`;
}

/** The sentence for `/history <peer>` when no connected peer and no conversation goes by that name. */
export function unknownConversationLine(target: string): string {
  return `No channel or peer called "${clean(target)}". Type /peers to see who is connected, or /history #general.`;
}

/** A problem found in the history file at start-up (a torn last line), or the folder cannot be opened. */
export function historyProblemLine(problem: string): string {
  return `[History] ${clean(problem)}`;
}

/** A message in a channel other than #general: `[#team] Alice (127.0.0.1:5001): text` */
export function channelMessageLine(channel: string, name: string, from: string, msg: string): string {
  return `[#${channel}] ${clean(name)} (${clean(from)}): ${clean(msg)}`;
}

/** A line that mentions this peer, made to stand out on a terminal (bold, reverse); elsewhere marked `>>`. */
export function highlight(line: string, tty: boolean): string {
  return tty ? `\x1b[1;7m${line}\x1b[0m` : `>> ${line}`;
}

/** The answer to /channels. */
export function channelsLines(channels: ChannelView[]): string[] {
  return [
    `Channels (${channels.length}):`,
    ...channels.map((c) => {
      const notes = [c.private ? 'private' : '', c.unread > 0 ? `${c.unread} unread` : ''].filter((n) => n !== '');
      return `  ${c.current ? '*' : ' '} #${c.name}${notes.length > 0 ? ` (${notes.join(', ')})` : ''}`;
    }),
    '',
  ];
}

export const channelLines = {
  joined: (channel: string, said: string, members: number) =>
    `[Channel] ${clean(said)}: you are in #${channel} (${members} member${members === 1 ? '' : 's'}); plain text goes there now`,
  warning: (sentence: string) => `[Channel] ${sentence}`,
  joinFailed: (channel: string, reason: string) => `[Channel] Could not join #${channel}: ${clean(reason)}`,
  left: (channel: string) => `[Channel] Left #${channel}; plain text goes to #general`,
  leaveFailed: (channel: string, reason: string) => `[Channel] Could not leave #${channel}: ${clean(reason)}`,
  switched: (channel: string) => `[Channel] Plain text goes to #${channel} now`,
  notJoined: (channel: string) => `[Channel] ${channelReasons.notJoined(channel)}`,
  general: () => `[Channel] ${channelReasons.general()}`,
  badName: (typed: string) => `[Channel] ${clean(channelReasons.badName(typed))}`,
  sent: (channel: string, sent: number, total: number) =>
    total === 0 ? `[P2P] Nobody else is in #${channel} yet` : `[P2P] Sent to ${sent}/${total} members of #${channel}`,
};

/** Seen by the peer that asked to connect (document Test 3, Bob's side). */
export function connectedToPeerLine(peer: PeerInfo): string {
  return `[P2P] Connected to peer: ${describePeer(peer)}`;
}

export function connectFailedLine(peerId: string, reason: string): string {
  return `[P2P] Could not connect to peer ${clean(peerId)}: ${clean(reason)}`;
}

export function noNewPeersLine(): string {
  return '[P2P] No new peers to connect to';
}

export function leavingLine(peerCount: number): string {
  return `Leaving: telling ${peerCount} peer${peerCount === 1 ? '' : 's'} and the tracker...`;
}

/** The sentence for a command that cannot run as typed, saying what to type instead. */
export function commandErrorLine(command: Extract<Command, { kind: 'unknown' | 'usage-error' | 'too-long' }>): string {
  if (command.kind === 'too-long') {
    return tooLongReason(command.length, command.limit);
  }
  if (command.kind === 'unknown') {
    return `Unknown command "${clean(command.command)}". Type /help for the commands, or type text without a leading "/" to broadcast it.`;
  }
  if (command.command === '/direct') return `Usage: ${DIRECT_USAGE}`;
  if (command.command === '/history') return `Usage: ${HISTORY_USAGE}`;
  if (command.command === '/outbox') return `Usage: ${OUTBOX_USAGE}`;
  if (command.command in CHANNEL_USAGE) return `Usage: ${CHANNEL_USAGE[command.command]}`;
  return `${command.command} takes no arguments; type just ${command.command}`;
}

/** The sentence for `/direct` to a peer that is not connected, or a name several peers share. */
export function unknownPeerLine(target: string, sharing: PeerInfo[] = []): string {
  if (sharing.length > 0) {
    return `${sharing.length} peers are called "${clean(target)}": ${sharing.map(describePeer).join(', ')}. Use the peer id, e.g. /direct ${sharing[0].peer_id} <message>`;
  }
  return `No connected peer is called "${clean(target)}". Type /peers to see who is connected, then /direct <peer_id or name> <message>.`;
}

/**
 * Characters that would let text from another peer do more than print: control characters (C0, DEL, C1:
 * ANSI escapes start with ESC or CSI), bidi embeddings, overrides and isolates (U+202A-202E, U+2066-2069,
 * the Arabic letter mark U+061C, LRM and RLM), zero-width characters (U+200B-200D, U+2060-2064, U+FEFF),
 * the invisible U+206A-206F, and the line and paragraph separators U+2028 and U+2029.
 * Combining marks (U+0300-036F, the Vietnamese tones) are ordinary text and are not listed.
 */
const UNSAFE = /\r\n|[\x00-\x1f\x7f-\x9f\u061c\u200b-\u200f\u2028-\u202e\u2060-\u206f\ufeff]/g;

// A zero-width joiner between two emoji draws them as one picture (family = man U+200D woman U+200D girl);
// there it hides nothing, and escaping it would break the emoji apart.
const EMOJI_BEFORE = /\p{Extended_Pictographic}(?:\u{fe0f}|\p{Emoji_Modifier})?$/u;
const EMOJI_AFTER = /^\p{Extended_Pictographic}/u;

/**
 * Text from the network made safe for a terminal, so it can neither move the cursor nor hide or reorder
 * what is around it: line breaks and tabs become spaces, so one message is one line, and every other
 * unsafe character is shown as its code. `clean('Ev\x1b[2Jil\u202e')` → `Ev\u001b[2Jil\u202e` (backslash and all).
 */
export function clean(text: string): string {
  return text.replace(UNSAFE, (c: string, at: number) => {
    if (c === '\r\n' || c === '\n' || c === '\r' || c === '\t') return ' ';
    if (c === '\u200d' && EMOJI_BEFORE.test(text.slice(Math.max(0, at - 4), at)) && EMOJI_AFTER.test(text.slice(at + 1, at + 3))) return c;
    return '\\u' + c.charCodeAt(0).toString(16).padStart(4, '0');
  });
}

/**
 * The channels file (`channels.json` in the data folder): the channels joined, with a private channel's key,
 * unread counts and the members last listed, so a peer killed and started again is back in
 * them at once (its registration claims them: `network/session.ts`). Owner-only (0600), since it holds keys:
 * docs/history.md, "Channels survive a restart". New; WeApRous `apps/peer.py` had one room.
 */

import type { Channels } from '../model/channels';
import { readJsonFile, writeJsonFile } from './json-file';

export const CHANNELS_FILE = 'channels.json';
/** An unread count waits this long at most before it is saved: a burst of messages is one write, not one each. */
export const UNREAD_SAVE_MS = 1_000;

export interface ChannelsFileOptions {
  /** Writes the file (`writeJsonFile` unless a test counts the writes). */
  write?: (folder: string, name: string, value: unknown) => unknown;
  unreadSaveMs?: number;
}

/**
 * Restores `channels` from `folder`, then saves them there: at once after a join, a leave, a switch or a new
 * member list, and within `UNREAD_SAVE_MS` after an unread count changed (a message arrived), once for all the
 * messages of that time. A damaged file counts as none. `flush()` saves what waits (when the peer quits).
 */
export function keepChannels(channels: Channels, folder: string, options: ChannelsFileOptions = {}): { flush(): void } {
  const saved = readJsonFile(folder, CHANNELS_FILE);
  if (saved !== undefined) channels.restore(saved);
  const write = options.write ?? writeJsonFile;
  let waiting: NodeJS.Timeout | null = null;
  const save = () => {
    if (waiting !== null) clearTimeout(waiting);
    waiting = null;
    write(folder, CHANNELS_FILE, channels.toJSON());
  };
  channels.onChange = save;
  channels.onUnread = () => {
    if (waiting !== null) return;
    waiting = setTimeout(save, options.unreadSaveMs ?? UNREAD_SAVE_MS);
    waiting.unref(); // an unread count never keeps a process alive; `flush` saves it on the way out
  };
  return { flush: () => void (waiting !== null && save()) };
}

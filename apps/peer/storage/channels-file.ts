/**
 * The channels file (`channels.json` in the data folder): the channels joined, with a private channel's key,
 * unread counts and the members last listed, so a peer killed and started again is back in
 * them at once (its registration claims them: `network/session.ts`). Owner-only (0600), since it holds keys:
 * docs/history.md, "Channels survive a restart". New; WeApRous `apps/peer.py` had one room.
 */

import type { Channels } from '../model/channels';
import { readJsonFile, writeJsonFile } from './json-file';

export const CHANNELS_FILE = 'channels.json';

/** Restores `channels` from `folder`, then saves them there at each change. A damaged file counts as none. */
export function keepChannels(channels: Channels, folder: string): void {
  const saved = readJsonFile(folder, CHANNELS_FILE);
  if (saved !== undefined) channels.restore(saved);
  channels.onChange = () => void writeJsonFile(folder, CHANNELS_FILE, channels.toJSON());
}

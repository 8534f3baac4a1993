/** Tests for `apps/peer/storage/channels-file.ts`: when the channels file is written, and what a restart reads back. */

import { expect } from 'chai';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Channels } from '../../../../apps/peer/model/channels';
import { keepChannels } from '../../../../apps/peer/storage/channels-file';

describe('keepChannels', () => {
  let folder: string;
  beforeEach(() => (folder = mkdtempSync(join(tmpdir(), 'channels-file-'))));
  afterEach(() => rmSync(folder, { recursive: true, force: true }));

  /** Channels kept in `folder`, each write counted (and done); `unreadSaveMs` long, so only `flush` or a change saves. */
  function kept(unreadSaveMs = 60_000) {
    const channels = new Channels();
    const writes: Array<Record<string, unknown>> = [];
    const file = keepChannels(channels, folder, { unreadSaveMs, write: (_f, _n, value) => writes.push(value as Record<string, unknown>) });
    return { channels, writes, file };
  }

  it('saves a join at once, and a burst of arrived messages once, not once each', () => {
    const { channels, writes, file } = kept();
    channels.join('team');
    channels.switchTo('general');
    expect(writes).to.have.length(2);
    for (let i = 0; i < 100; i += 1) channels.arrived('team');
    expect(writes).to.have.length(2); // one write per message before: 102
    file.flush();
    expect(writes).to.have.length(3);
    expect(writes[2].unread).to.deep.equal({ team: 100 });
    file.flush();
    expect(writes).to.have.length(3); // nothing waits any more
  });

  it('saves waiting unread counts with the next change, or within the delay', async () => {
    const { channels, writes } = kept(1);
    channels.join('team');
    channels.switchTo('general');
    channels.arrived('team');
    channels.join('other'); // written now, with the count
    expect(writes.at(-1)!.unread).to.deep.equal({ team: 1 });
    channels.arrived('team');
    const count = writes.length;
    await new Promise<void>((resolve) => {
      const check = () => (writes.length > count ? resolve() : setTimeout(check, 5));
      check();
    });
    expect(writes.at(-1)!.unread).to.deep.equal({ team: 2 });
  });

  it('reads back what it wrote to the folder', () => {
    const channels = new Channels();
    const file = keepChannels(channels, folder);
    channels.join('secret', 'hunter2-hunter2');
    channels.switchTo('general');
    channels.arrived('secret');
    file.flush();
    const again = new Channels();
    keepChannels(again, folder);
    expect(again.claims()).to.deep.equal([{ channel: 'secret', key: 'hunter2-hunter2' }]);
    expect(again.list()).to.deep.equal(channels.list().map((c) => ({ ...c, current: c.name === 'general' })));
  });
});

/**
 * Tests for the browser-test helper `test/browser/browser.ts`: which Chromium it picks, and that a missing one
 * is a failure that says what to run, not a silent skip. New, not in WeApRous. Launches no browser.
 */

import { expect } from 'chai';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { findChromium } from './browser';

describe('findChromium()', () => {
  let folder: string;
  beforeEach(() => {
    folder = mkdtempSync(join(tmpdir(), 'weaprous-chromium-'));
  });
  afterEach(() => rmSync(folder, { recursive: true, force: true }));

  /** An executable file named `name` in the scratch folder. */
  const fakeBrowser = (name: string) => {
    const path = join(folder, name);
    writeFileSync(path, '#!/bin/sh\n');
    chmodSync(path, 0o755);
    return path;
  };

  it('takes CHROMIUM_PATH when it names an executable, whatever the PATH holds', () => {
    const path = fakeBrowser('my-chrome');
    expect(findChromium({ CHROMIUM_PATH: path, PATH: '' })).to.equal(path);
  });

  it('finds chromium, then chromium-browser, on the PATH', () => {
    const other = mkdtempSync(join(tmpdir(), 'weaprous-chromium-'));
    try {
      const browser = fakeBrowser('chromium-browser');
      expect(findChromium({ PATH: `${other}:${folder}` })).to.equal(browser);
      writeFileSync(join(other, 'chromium'), '#!/bin/sh\n', { mode: 0o755 });
      // `chromium` is the Debian name: it wins even from a folder later on the PATH.
      expect(findChromium({ PATH: `${folder}:${other}` })).to.equal(join(other, 'chromium'));
    } finally {
      rmSync(other, { recursive: true, force: true });
    }
  });

  it('skips a file named chromium that is not executable', () => {
    writeFileSync(join(folder, 'chromium'), 'not a program', { mode: 0o644 });
    expect(() => findChromium({ PATH: folder })).to.throw(/No chromium or chromium-browser on the PATH/);
  });

  it('fails with the command to run when there is no Chromium', () => {
    expect(() => findChromium({ PATH: folder })).to.throw(/run `bash scripts\/install-browser\.sh`/);
  });

  it('fails when CHROMIUM_PATH names no executable, rather than looking elsewhere', () => {
    fakeBrowser('chromium');
    expect(() => findChromium({ CHROMIUM_PATH: join(folder, 'missing'), PATH: folder })).to.throw(
      /CHROMIUM_PATH=.*missing is not an executable file.*install-browser\.sh/,
    );
  });
});

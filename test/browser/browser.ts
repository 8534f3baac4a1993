/**
 * Test helper: Debian's Chromium driven through playwright-core, for the tests in a real browser
 * (`test/browser/*.browser.test.ts`). `useChromium()` launches one browser for a suite and closes it, with every
 * context it opened, in an `after` hook; a missing Chromium fails the suite with what to run. New, not in
 * WeApRous (which was tried by hand in a browser). Not a test file itself (mocha runs `*.test.ts` only).
 */

import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';
import { chromium, type Browser, type BrowserContext, type BrowserContextOptions } from 'playwright-core';

/** How long one page action or assertion may wait: far under mocha's 20 s, so a test fails, with a reason, before it times out. */
export const ACTION_MS = 5_000;
/** How long Chromium may take to start on a busy two-core machine. */
export const LAUNCH_MS = 45_000;

const INSTALL_HINT =
  'Chromium is needed for the browser tests: run `bash scripts/install-browser.sh` (apt-get install chromium), ' +
  'or set CHROMIUM_PATH to a Chromium or Chrome executable';

/** The Chromium to drive: `$CHROMIUM_PATH`, else `chromium` or `chromium-browser` on the PATH (as `which` finds it). */
export function findChromium(env: NodeJS.ProcessEnv = process.env): string {
  if (env.CHROMIUM_PATH) {
    if (isExecutable(env.CHROMIUM_PATH)) return env.CHROMIUM_PATH;
    throw new Error(`CHROMIUM_PATH=${env.CHROMIUM_PATH} is not an executable file. ${INSTALL_HINT}.`);
  }
  const folders = (env.PATH ?? '').split(delimiter).filter((folder) => folder !== '');
  for (const name of ['chromium', 'chromium-browser']) {
    const found = folders.map((folder) => join(folder, name)).find(isExecutable);
    if (found) return found;
  }
  throw new Error(`No chromium or chromium-browser on the PATH. ${INSTALL_HINT}.`);
}

function isExecutable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/**
 * Launches Chromium headless; `--no-sandbox` because the tests run as root, where Chromium's sandbox refuses to
 * start. On a loaded two-core machine a first start can take long (a CI run once saw 15 s pass): it is given
 * `LAUNCH_MS`, and tried once more if that start failed.
 */
export async function launchChromium(): Promise<Browser> {
  const launch = () => chromium.launch({ executablePath: findChromium(), args: ['--no-sandbox'], timeout: LAUNCH_MS });
  return launch().catch(() => launch());
}

export interface ChromiumSuite {
  /**
   * A fresh context (its own cookies and storage, like a private window) whose actions time out after `ACTION_MS`;
   * `options` as Playwright takes them, e.g. a phone's `{ viewport: { width: 390, height: 844 }, isMobile: true }`.
   */
  newContext(options?: BrowserContextOptions): Promise<BrowserContext>;
}

/**
 * Call inside a `describe`: launches Chromium in a `before` hook and closes every context and the browser in an
 * `after` hook, whatever failed. `const chrome = useChromium(); ... const page = await (await chrome.newContext()).newPage();`
 */
export function useChromium(): ChromiumSuite {
  let browser: Browser | undefined;
  const contexts: BrowserContext[] = [];

  before(async function () {
    this.timeout(2 * LAUNCH_MS + 5_000);
    browser = await launchChromium();
  });
  after(async () => {
    await Promise.all(contexts.splice(0).map((context) => context.close().catch(() => {})));
    await browser?.close();
    browser = undefined;
  });

  return {
    async newContext(options?: BrowserContextOptions) {
      if (!browser) throw new Error('Chromium is not running: call newContext() inside a test, after useChromium()');
      const context = await browser.newContext(options);
      context.setDefaultTimeout(ACTION_MS);
      context.setDefaultNavigationTimeout(ACTION_MS);
      contexts.push(context);
      return context;
    },
  };
}

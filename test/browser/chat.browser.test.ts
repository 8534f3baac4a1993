/**
 * The peers' browser chat in a real browser: the real tracker and two real peers (`apps/peer.ts`, Alice with a
 * `--password-file`, Bob with the login link his console prints), and Chromium with one context each, driven by role
 * and label as a keyboard or a screen reader would. Sending, unread badges, safe rendering, the console and the
 * page as one chat, pending marks, and a peer killed and started again under an open page. Every wait is on the
 * DOM or a console line, never a sleep. New, not in WeApRous (issue 8). Needs Chromium: `bash scripts/install-browser.sh`.
 * Screenshots go to $SCREENSHOTS_DIR when it is set (`SCREENSHOTS_DIR=docs/images npm run test:browser`).
 */

import { expect } from 'chai';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import type { Dialog, Page } from 'playwright-core';
import { Child, dataDir, exact, freePort, passwordFile, Processes, STARTUP_MS } from '../apps/child';
import { useChromium } from './browser';

const XSS = '<img src=x onerror=alert(1)>';
/** Stands in for the Notification API in Bob's page, with permission granted, and records what it was asked to show. */
const FAKE_NOTIFICATIONS = `
  window.notified = [];
  window.Notification = function (title, options) { window.notified.push(title + ': ' + options.body); };
  window.Notification.permission = 'granted';
  window.Notification.requestPermission = () => Promise.resolve('granted');`;
const SHOTS = process.env.SCREENSHOTS_DIR ?? tmpdir();

describe('the browser chat of two peers in Chromium', function () {
  this.timeout(30_000);
  const chrome = useChromium();
  const processes = new Processes();
  let trackerUrl: string;
  const port: Record<string, number> = {};
  const folder: Record<string, string> = {};
  let alice: Child;
  let bob: Child;
  let pageA: Page;
  let pageB: Page;
  const dialogs: string[] = [];
  const errors: string[] = [];

  function startPeer(name: string, extra: string[] = []): Child {
    const args = ['--tracker', trackerUrl, '--port', String(port[name]), '--name', name, '--data-dir', folder[name], ...extra];
    return processes.start(name, 'apps/peer.ts', args);
  }

  before(async function () {
    this.timeout(3 * STARTUP_MS);
    const tracker = processes.start('tracker', 'apps/tracker.ts', ['--server-ip', '127.0.0.1', '--server-port', '0']);
    const listening = await tracker.waitFor(/^\[Backend\] Listening on IP 127\.0\.0\.1 port \d+$/, STARTUP_MS);
    trackerUrl = `http://127.0.0.1:${listening.split(' ').pop()}`;
    for (const name of ['Alice', 'Bob']) {
      port[name] = await freePort();
      folder[name] = dataDir(name);
    }
    alice = startPeer('Alice', ['--password-file', passwordFile('correct horse')]);
    await alice.waitFor(exact('[Alice] > '), STARTUP_MS);
    bob = startPeer('Bob');
    await bob.waitFor(exact('[Bob] > '), STARTUP_MS);
  });
  after(() => processes.killAll());

  /** A page that records every dialog (an alert() that ran) and every script error. */
  async function newPage(): Promise<Page> {
    const page = await (await chrome.newContext()).newPage();
    await page.setViewportSize({ width: 1200, height: 720 });
    page.on('dialog', (dialog: Dialog) => {
      dialogs.push(`${dialog.type()}: ${dialog.message()}`);
      void dialog.dismiss();
    });
    page.on('pageerror', (error) => errors.push(error.message));
    return page;
  }
  const url = (name: string) => `http://127.0.0.1:${port[name]}/`;
  const nav = (page: Page) => page.getByRole('navigation', { name: 'Channels' });
  const log = (page: Page, conversation: string) => page.getByRole('log', { name: `${conversation} conversation` });
  async function send(page: Page, text: string): Promise<void> {
    await page.getByRole('textbox', { name: 'Message', exact: true }).fill(text);
    await page.getByRole('textbox', { name: 'Message', exact: true }).press('Enter');
  }

  it('without a cookie, shows the login page; a wrong password says so; the right one opens the chat', async () => {
    pageA = await newPage();
    await pageA.goto(url('Alice'));
    expect(new URL(pageA.url()).pathname).to.equal('/login/');
    await pageA.screenshot({ path: join(SHOTS, 'web-login.png') });
    await pageA.getByLabel('Password').fill('guess');
    await pageA.getByRole('button', { name: 'Log in' }).click();
    await pageA.getByRole('alert').getByText('Wrong password.').waitFor();
    await pageA.getByLabel('Password').fill('correct horse');
    await pageA.getByLabel('Password').press('Enter'); // the keyboard alone
    await nav(pageA).getByRole('link', { name: '#general', exact: true }).waitFor();
    await log(pageA, '#general').waitFor();
    await pageA.getByRole('status').getByText('Live').waitFor();
    expect(await pageA.title()).to.equal('#general - Alice - WeApRous chat');
  });

  it('lets Bob in with the one-time link from his console, which then no longer works', async () => {
    const link = await bob.waitFor(/^http:\/\/\S+\/login\/\?token=\S+$/, 1_000, 0);
    pageB = await newPage();
    await pageB.addInitScript(FAKE_NOTIFICATIONS);
    await pageB.goto(link);
    await log(pageB, '#general').waitFor();
    expect(new URL(pageB.url()).pathname).to.equal('/');
    const other = await newPage();
    await other.goto(link);
    await other.getByRole('alert').getByText('This login link has been used or has expired').waitFor();
  });

  it('sends in #general from Alice, and Bob sees it within a second, verified and highlighted for him', async () => {
    const text = 'Hello @Bob from the browser';
    const started = Date.now();
    await send(pageA, text);
    const atBob = log(pageB, '#general').locator('article', { hasText: text });
    await atBob.waitFor({ timeout: 1_000 });
    const elapsed = Date.now() - started;
    console.log(`      (Enter at Alice to the message in Bob's page: ${elapsed} ms)`);
    expect(elapsed).to.be.below(1_000);
    expect(await atBob.getAttribute('class')).to.include('mention');
    expect(await atBob.locator('.mark').textContent()).to.equal('verified');
    expect(await atBob.locator('.sender').textContent()).to.equal('Alice');
    // At Alice, once Bob has acknowledged it, the message is no longer pending.
    await log(pageA, '#general').locator('article:not(.pending)', { hasText: text }).waitFor();
    await bob.waitFor(`[BROADCAST] Alice (127.0.0.1:${port.Alice}): ${text}`);
  });

  it("raises #team's unread badge at Bob when Alice writes there, and clears it when he opens it", async () => {
    bob.type('/join #team');
    await bob.waitFor('[Channel] Created #team');
    const team = nav(pageB).getByRole('link', { name: '#team', exact: true });
    await team.waitFor(); // joined in the console: the page hears of it
    await pageA.getByLabel('Channel name').fill('#team');
    await pageA.getByLabel('Channel name').press('Enter');
    await pageA.getByRole('heading', { name: '#team', exact: true }).waitFor();
    // Joined by keyboard to talk there: the next keys go to the message box, not to the channel name field.
    expect(await pageA.evaluate('document.activeElement.id')).to.equal('message');
    await send(pageA, 'Only for #team');
    await team.locator('.badge', { hasText: '1' }).waitFor();
    expect(await pageB.title()).to.equal('(1) #general - Bob - WeApRous chat');
    // A notification for the message elsewhere; none for the one in the conversation Bob was looking at.
    expect(await pageB.evaluate('window.notified')).to.deep.equal(['Alice in #team: Only for #team']);
    await team.click();
    await log(pageB, '#team').getByText('Only for #team').waitFor();
    await team.locator('.badge').waitFor({ state: 'hidden' });
    expect(await pageB.title()).to.equal('#team - Bob - WeApRous chat');
  });

  it('shows a message that is HTML as its text, and runs nothing', async () => {
    await nav(pageA).getByRole('link', { name: '#general', exact: true }).click();
    await nav(pageB).getByRole('link', { name: '#general', exact: true }).click();
    await send(pageA, XSS);
    await log(pageB, '#general').getByText(XSS, { exact: true }).waitFor();
    await log(pageA, '#general').getByText(XSS, { exact: true }).waitFor();
    expect(await pageB.locator('main img').count()).to.equal(0);
    expect(dialogs, 'no alert() may run').to.deep.equal([]);
  });

  it("shows a line typed in the console in the pages, the typing peer's own included", async () => {
    alice.type("typed in Alice's console");
    await log(pageA, '#general').getByText("typed in Alice's console").waitFor();
    await log(pageB, '#general').getByText("typed in Alice's console").waitFor();
    await send(pageB, "typed in Bob's page");
    await alice.waitFor(`[BROADCAST] Bob (127.0.0.1:${port.Bob}): typed in Bob's page`);
    await bob.waitFor(`[Web] Bob (127.0.0.1:${port.Bob}) in #general: typed in Bob's page`);
  });

  it('writes to one peer from the peer list: a direct conversation of its own, with its own badge', async () => {
    await pageA.getByRole('button', { name: 'Message Bob' }).click();
    await pageA.getByRole('heading', { name: '@Bob', exact: true }).waitFor();
    await send(pageA, 'Just between us');
    const direct = nav(pageB).getByRole('link', { name: '@Alice', exact: true });
    await direct.locator('.badge', { hasText: '1' }).waitFor();
    await bob.waitFor(`[DIRECT] Alice (127.0.0.1:${port.Alice}): Just between us`);
    await pageB.screenshot({ path: join(SHOTS, 'web-chat.png') });
    await direct.click();
    await log(pageB, '@Alice').getByText('Just between us').waitFor();
    for (const page of [pageA, pageB]) await nav(page).getByRole('link', { name: '#general', exact: true }).click();
  });

  it("survives Bob's restart: the open page reconnects, misses nothing and shows nothing twice", async function () {
    this.timeout(3 * STARTUP_MS);
    await bob.kill(); // SIGKILL: no goodbye
    await pageB.getByRole('status').getByText('Reconnecting to the peer...').waitFor();
    await send(pageA, 'while Bob was away');
    // Bob cannot be reached: the message waits in Alice's outbox, and her page shows it pending.
    await log(pageA, '#general').locator('article.pending', { hasText: 'while Bob was away' }).waitFor();
    await pageA.getByText('1 waiting').waitFor(); // Bob in Alice's peer list: not reachable, one message for him
    await pageA.screenshot({ path: join(SHOTS, 'web-pending.png') });

    bob = startPeer('Bob');
    await bob.waitFor(exact('[Bob] > '), STARTUP_MS);
    await pageB.getByRole('status').getByText('Live').waitFor({ timeout: 10_000 });
    await log(pageB, '#general').getByText('while Bob was away').waitFor({ timeout: 10_000 });
    await log(pageA, '#general').locator('article:not(.pending)', { hasText: 'while Bob was away' }).waitFor({ timeout: 10_000 });
    await send(pageA, 'after the restart');
    await log(pageB, '#general').getByText('after the restart').waitFor();

    expect(new URL(pageB.url()).pathname, 'still logged in').to.equal('/');
    const shown = await log(pageB, '#general')
      .locator('article')
      .evaluateAll((articles) => articles.map((article) => article.getAttribute('data-id')));
    const held = await pageB.evaluate(async () => {
      const page = (await (await fetch('/api/messages/?conversation=general&limit=200')).json()) as { messages: Array<{ id: string }> };
      return page.messages.map((message) => message.id);
    });
    expect(shown, "each message once, in the peer's order").to.deep.equal(held);
    expect(held.length).to.equal(6);
  });

  it("keeps the reader's place: older pages come on scroll-up where they were; new messages are followed only at the bottom", async () => {
    await pageA.evaluate(async () => {
      for (let i = 1; i <= 60; i++) {
        const body = JSON.stringify({ conversation: 'general', text: `filler ${i}` });
        await fetch('/api/send/', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body });
      }
    });
    const logB = log(pageB, '#general');
    await logB.getByText('filler 60', { exact: true }).waitFor();
    await pageB.reload();
    await logB.getByText('filler 60', { exact: true }).waitFor();
    expect(await logB.locator('article').count()).to.equal(50); // the newest page
    await logB.getByRole('button', { name: 'Load older messages' }).waitFor();

    // Scrolled to the top: the page before comes, and the message that was at the top stays where it was.
    // In one step: the older page's request starts with the scroll, and may be answered before another step.
    const { topBefore, first } = await logB.evaluate((element) => {
      element.scrollTop = 0;
      const article = element.querySelector('article')!;
      return { topBefore: article.getBoundingClientRect().top, first: article.getAttribute('data-id') };
    });
    await logB.locator('article').nth(65).waitFor(); // 6 + 60: all of #general
    const topAfter = await logB.locator(`article[data-id="${first}"]`).evaluate((element) => element.getBoundingClientRect().top);
    expect(Math.abs(topAfter - topBefore)).to.be.below(2);
    await logB.getByRole('button', { name: 'Load older messages' }).waitFor({ state: 'hidden' });

    // Not at the bottom: a new message does not move what Bob reads; a button offers to jump.
    const scrolled = await logB.evaluate((element) => element.scrollTop);
    await send(pageA, 'while Bob reads older ones');
    await pageB.getByRole('button', { name: 'New messages below' }).waitFor();
    expect(await logB.evaluate((element) => element.scrollTop)).to.equal(scrolled);
    await pageB.getByRole('button', { name: 'New messages below' }).click();
    const fromBottom = () => logB.evaluate((element) => element.scrollHeight - element.scrollTop - element.clientHeight);
    expect(await fromBottom()).to.be.below(24);
    // At the bottom: the next one is followed.
    await send(pageA, 'followed');
    await logB.getByText('followed', { exact: true }).waitFor();
    expect(await fromBottom()).to.be.below(24);
  });

  it('logs out: the page goes back to the login page, and the cookie no longer opens the chat', async () => {
    await pageB.getByRole('button', { name: 'Log out' }).click();
    // The documented page: it says so, whether the form's answer or the event stream's `logout` got there first.
    await pageB.getByText('You have logged out.').waitFor();
    // Bob has no password: his login page says how to get a link, and has no password field to type into.
    await pageB.getByText('This peer was started without a password').waitFor();
    expect(await pageB.getByLabel('Password').count()).to.equal(0);
    await pageB.goto(url('Bob'));
    expect(new URL(pageB.url()).pathname).to.equal('/login/');
    expect(errors, 'no script error').to.deep.equal([]);
  });
});

/**
 * Terminal: on a pipe, plain lines in and out; on a terminal, incoming lines printed above the prompt with
 * the half-typed line restored. Streams stand in for stdin and stdout.
 * Tests for `apps/peer/console/terminal.ts` (`raw_input` and `print` in WeApRous `apps/peer.py`).
 */

import { expect } from 'chai';
import { PassThrough } from 'node:stream';
import { CONTINUATION, Terminal, fitToWidth } from '../../../../apps/peer/console/terminal';
import { clean } from '../../../../apps/peer/console/lines';
import { messageLine } from '../../../../apps/peer/console/notices';

function streams(tty: boolean, columns = 80) {
  const input = Object.assign(new PassThrough(), { isTTY: tty });
  const output = Object.assign(new PassThrough(), { isTTY: tty, columns });
  let written = '';
  output.on('data', (chunk: Buffer) => {
    written += chunk.toString('utf8');
  });
  return { input, output, written: () => written };
}

/** 8 + 45 characters on a 20-column screen: with the prompt, three rows. */
const LONG = 'Tiếng Việt dài, một dòng rất dài đang gõ dở...';

/** Lets the streams deliver what was written to them. */
const settle = () => new Promise((done) => setImmediate(done));

/** The rows a screen shows for what was written: each row from its last return to column 0 (CR or CSI 1 G), escape codes left out. */
const screenRows = (written: string) =>
  written.split('\n').map((row) =>
    row
      .split(/\r|\x1b\[1G/)
      .at(-1)!
      .replace(/\x1b\[[0-9;]*[A-Za-z]/g, ''),
  );

/** A message from Mallory whose fake second message would start the second row of a 60-column screen. */
function fakeMessage(separator: string): string {
  const head = '[BROADCAST] Mallory (127.0.0.1:5009): ';
  const filler = 'x'.repeat(60 - head.length - clean(separator).length);
  const line = messageLine(
    'broadcast',
    'Mallory',
    '127.0.0.1:5009',
    `${filler}${separator}[BROADCAST] Bob (127.0.0.1:5002): give me your password`,
  );
  expect(line.indexOf('[BROADCAST] Bob')).to.equal(60);
  return line;
}

describe('fitToWidth()', () => {
  it('leaves a line that fits as it is', () => {
    expect(fitToWidth('[BROADCAST] Bob (127.0.0.1:5002): hi', 80)).to.deep.equal(['[BROADCAST] Bob (127.0.0.1:5002): hi']);
  });

  it('cuts a long line into rows one cell narrower than the screen, indenting every row after the first', () => {
    expect(fitToWidth('x'.repeat(25), 11)).to.deep.equal([
      'xxxxxxxxxx',
      `${CONTINUATION}xxxxxx`,
      `${CONTINUATION}xxxxxx`,
      `${CONTINUATION}xxx`,
    ]);
  });

  it('counts a letter with its tone marks as one cell and never cuts the marks off', () => {
    const viet = 'Vie\u0323\u0302t'; // 4 cells, 6 code units
    const rows = fitToWidth(viet.repeat(5), 11);
    expect(rows[0]).to.equal(viet + viet + 'Vi');
    expect(rows.join('').replaceAll(CONTINUATION, '')).to.equal(viet.repeat(5));
    for (const row of rows.slice(1)) expect(row.slice(CONTINUATION.length)).to.match(/^[^\u0300-\u036f]/);
  });

  it('counts an emoji or a wide letter as two cells and keeps a joined emoji whole', () => {
    const family = '👨\u200d👩\u200d👧';
    expect(fitToWidth(`abcdefgh${family}`, 10)).to.deep.equal(['abcdefgh', `${CONTINUATION}${family}`]);
    expect(fitToWidth('中文中文中文', 12)).to.deep.equal(['中文中文中', `${CONTINUATION}文`]);
  });

  it('leaves the line to the terminal when the screen is too narrow for an indented row', () => {
    expect(fitToWidth('x'.repeat(20), 6)).to.deep.equal(['x'.repeat(20)]);
  });
});

describe('Terminal', () => {
  describe('on a pipe', () => {
    it('prints plain lines, the prompt once on its own line, and no escape codes', async () => {
      const io = streams(false);
      const terminal = new Terminal(io.input, io.output);
      const lines: string[] = [];
      terminal.print('banner');
      terminal.start('[Alice] > ', { onLine: (line) => lines.push(line), onEnd: () => {}, onInterrupt: () => {} });
      terminal.print('[BROADCAST] Bob (127.0.0.1:5002): hi');
      io.input.write('/peers\nhello\n');
      await settle();
      expect(io.written()).to.equal('banner\n[Alice] > \n[BROADCAST] Bob (127.0.0.1:5002): hi\n');
      expect(lines).to.deep.equal(['/peers', 'hello']);
      terminal.close();
    });

    it('prints a long line as one line, whatever the width', async () => {
      const io = streams(false, 60);
      const terminal = new Terminal(io.input, io.output);
      const line = fakeMessage(' ');
      terminal.print(line);
      await settle();
      expect(io.written()).to.equal(line + '\n');
    });

    it('writes the lines printed while held (a batch of messages) in one write, in order, a new prompt after them', async () => {
      const io = streams(false);
      const chunks: string[] = [];
      io.output.on('data', (chunk: Buffer) => chunks.push(chunk.toString('utf8')));
      const terminal = new Terminal(io.input, io.output);
      terminal.start('[Alice] > ', { onLine: () => {}, onEnd: () => {}, onInterrupt: () => {} });
      await settle();
      chunks.length = 0;
      const messages = Array.from({ length: 100 }, (_, n) => `[BROADCAST] Bob (127.0.0.1:5002): m${n}`);
      terminal.print('alone');
      const answer = terminal.hold(() => {
        for (const line of messages) terminal.printQuoted(line);
        terminal.setPrompt('[Alice #team] > ');
        return 'shown';
      });
      terminal.print('after the prompt');
      await settle();
      expect(answer).to.equal('shown');
      expect(chunks).to.deep.equal([
        'alone\n',
        [...messages, '[Alice #team] > '].map((line) => `${line}\n`).join(''),
        'after the prompt\n',
      ]);
      terminal.close();
    });

    it('reports the end of input (Ctrl+D) once every line before it was read', async () => {
      const io = streams(false);
      const terminal = new Terminal(io.input, io.output);
      const events: string[] = [];
      terminal.start('> ', { onLine: (line) => events.push(line), onEnd: () => events.push('END'), onInterrupt: () => {} });
      io.input.end('last words\n');
      await settle();
      await settle();
      expect(events).to.deep.equal(['last words', 'END']);
    });
  });

  describe('on a terminal', () => {
    it('prints an incoming line above the prompt and restores the half-typed text', async () => {
      const io = streams(true);
      const terminal = new Terminal(io.input, io.output);
      const lines: string[] = [];
      terminal.start('[Bob] > ', { onLine: (line) => lines.push(line), onEnd: () => {}, onInterrupt: () => {} });
      io.input.write('Hel');
      await settle();
      const before = io.written().length;
      terminal.print('[BROADCAST] Alice (127.0.0.1:5001): Hello everyone from Alice!');
      await settle();
      const after = io.written().slice(before);
      // The message comes first on a cleared line, then the prompt with what was typed.
      const message = after.indexOf('[BROADCAST] Alice (127.0.0.1:5001): Hello everyone from Alice!\n');
      expect(message).to.be.greaterThan(-1);
      expect(after.slice(message)).to.include('[Bob] > ');
      expect(after.lastIndexOf('Hel')).to.be.greaterThan(after.lastIndexOf('[Bob] > '));
      // Typing goes on where it stopped.
      io.input.write('lo\r');
      await settle();
      expect(lines).to.deep.equal(['Hello']);
      terminal.close();
    });

    it('keeps the cursor where it was inside the half-typed text', async () => {
      const io = streams(true);
      const terminal = new Terminal(io.input, io.output);
      const lines: string[] = [];
      terminal.start('> ', { onLine: (line) => lines.push(line), onEnd: () => {}, onInterrupt: () => {} });
      io.input.write('Hlo');
      io.input.write('\x1b[D\x1b[D'); // left, left: the cursor is after "H"
      await settle();
      terminal.print('[DIRECT] Jack (127.0.0.1:5003): ping');
      // One key per write, as a person types (readline treats a multi-character chunk as a paste).
      for (const key of ['e', 'l', '\r']) io.input.write(key);
      await settle();
      expect(lines).to.deep.equal(['Hello']);
      terminal.close();
    });

    for (const [how, keys] of [
      ['typed', [...LONG]],
      ['pasted', [LONG]],
    ]) {
      it(`erases every row of a ${how} half-typed line that wrapped, before printing above it`, async () => {
        const io = streams(true, 20);
        const terminal = new Terminal(io.input, io.output);
        const lines: string[] = [];
        terminal.start('[Bob] > ', { onLine: (line) => lines.push(line), onEnd: () => {}, onInterrupt: () => {} });
        for (const key of keys) io.input.write(key);
        await settle();
        const before = io.written().length;
        terminal.print('[BROADCAST] Alice (127.0.0.1:5001): hi');
        await settle();
        const erase = io.written().slice(before, io.written().indexOf('[BROADCAST]', before));
        expect(erase).to.include('\x1b[2A'); // up two rows, to the prompt's row, before clearing downwards
        io.input.write('\r');
        await settle();
        expect(lines).to.deep.equal([LONG]);
        terminal.close();
      });
    }

    for (const columns of [80, 40]) {
      it(`prints its own lines whole on ${columns} columns, a link unbroken and unmarked; a message cut and marked`, async () => {
        const io = streams(true, columns);
        const terminal = new Terminal(io.input, io.output);
        const link = `http://127.0.0.1:5001/login/?token=${'rT8TAXwKj_a-Wf2F1GKfnxKHQRWyHK'.padEnd(43, 'x')}`;
        terminal.print('[Web] Log in with this link (works once, within 10 minutes; /web prints a fresh one):', link);
        terminal.printQuoted(messageLine('broadcast', 'Bob', '127.0.0.1:5002', 'y'.repeat(100)));
        await settle();
        const rows = io.written().split('\n');
        expect(rows[1]).to.equal(link);
        expect(rows.slice(0, 2).join('\n')).not.to.include(CONTINUATION);
        expect(rows.slice(3).every((row) => row === '' || row.startsWith(CONTINUATION))).to.equal(true);
      });
    }

    for (const [what, separator] of [
      ['a line break', '\n'],
      ['U+2028', '\u2028'],
    ]) {
      it(`indents the wrapped rows of a message with ${what}, so a fake message cannot start a row`, async () => {
        const io = streams(true, 60);
        const terminal = new Terminal(io.input, io.output);
        terminal.start('[Alice] > ', { onLine: () => {}, onEnd: () => {}, onInterrupt: () => {} });
        const before = io.written().length;
        terminal.printQuoted(fakeMessage(separator));
        await settle();
        const rows = screenRows(io.written().slice(before)).filter((row) => row !== '');
        expect(rows[0]).to.match(/^\[BROADCAST\] Mallory \(127\.0\.0\.1:5009\): x/);
        expect(rows.filter((row) => row.startsWith('[BROADCAST]'))).to.have.length(1);
        const continued = rows.slice(1, -1); // the last row is the prompt, drawn again
        expect(continued).to.not.be.empty;
        for (const row of continued) {
          expect(row.startsWith(CONTINUATION)).to.equal(true);
          expect(row.length).to.be.at.most(59);
        }
        expect(rows.at(-1)).to.equal('[Alice] > ');
        terminal.close();
      });
    }

    it('survives the terminal going away (window closed): no throw, onEnd still comes', async () => {
      const io = streams(true);
      // A closed terminal makes readline's clean-up fail: setRawMode(false) throws EIO.
      const input = Object.assign(io.input, {
        setRawMode(mode: boolean) {
          if (!mode) throw Object.assign(new Error('setRawMode EIO'), { code: 'EIO' });
          return input;
        },
      });
      const terminal = new Terminal(input, io.output);
      let ended = 0;
      terminal.start('> ', {
        onLine: () => {},
        onEnd: () => {
          ended += 1;
        },
        onInterrupt: () => {},
      });
      io.output.emit('error', Object.assign(new Error('write EIO'), { code: 'EIO' }));
      input.end();
      await settle();
      await settle();
      expect(ended).to.equal(1);
      terminal.print('Leaving: telling 2 peers and the tracker...'); // nowhere to show it, and no crash
      terminal.close();
    });

    it('turns Ctrl+C into onInterrupt', async () => {
      const io = streams(true);
      const terminal = new Terminal(io.input, io.output);
      let interrupted = 0;
      terminal.start('> ', {
        onLine: () => {},
        onEnd: () => {},
        onInterrupt: () => {
          interrupted += 1;
        },
      });
      io.input.write('\x03');
      await settle();
      expect(interrupted).to.equal(1);
      terminal.close();
    });
  });
});

/**
 * Test helper: a doc's shell block as steps (a command and what the doc says it prints), run with bash, and the
 * line-by-line comparison of what it printed with what the doc shows. Two conventions, the docs' own: in a
 * `bash` block the output follows each command as `# ` comment lines; in a `console` block commands start
 * with `$ ` and the lines up to the next one are the output. A line `...` stands for any number of lines. New.
 */

import { execFile } from 'node:child_process';
import { mask, type Block } from './markdown';

export interface Step {
  command: string;
  expected: string[];
}

/** The block's commands, each with the output the doc shows (a `\` at a line's end continues the command). */
export function steps(block: Block): Step[] {
  const console = block.lang === 'console';
  const out: Step[] = [];
  for (let i = 0; i < block.lines.length; i++) {
    const line = block.lines[i];
    const isCommand = console ? line.startsWith('$ ') : !line.startsWith('#') && line.trim() !== '';
    if (!isCommand) {
      if (out.length === 0) continue;
      out[out.length - 1].expected.push(console ? line : line.replace(/^# ?/, ''));
      continue;
    }
    let command = console ? line.slice(2) : line;
    while (command.endsWith('\\') && i + 1 < block.lines.length) command = command.slice(0, -1) + block.lines[++i];
    out.push({ command: command.replace(/\s+#\s.*$/, ''), expected: [] });
  }
  return out;
}

/** What `command` prints on standard output, run by bash in `cwd`, with no proxy in the way. */
export function run(command: string, cwd: string): Promise<string> {
  const env: NodeJS.ProcessEnv = { ...process.env, no_proxy: '*', NO_PROXY: '*' };
  for (const name of ['http_proxy', 'https_proxy', 'HTTP_PROXY', 'HTTPS_PROXY', 'all_proxy', 'ALL_PROXY']) delete env[name];
  return new Promise((done, fail) =>
    execFile('bash', ['-c', command], { cwd, env, timeout: 10_000 }, (error, stdout) =>
      error && error.killed ? fail(new Error(`${command} did not finish within 10 s`)) : done(stdout),
    ),
  );
}

/** The output's lines, `\r` and the final newline gone. */
export function outputLines(output: string): string[] {
  const lines = output.replace(/\r/g, '').split('\n');
  if (lines.length > 1 && lines[lines.length - 1] === '') lines.pop();
  return lines;
}

/** Whether `actual` reads as `expected`, after masking, each `...` standing for any number of lines. */
export function matches(expected: string[], actual: string[]): boolean {
  const want = expected.map(mask);
  const got = actual.map(mask);
  const from = (w: number, g: number): boolean => {
    if (w === want.length) return g === got.length;
    if (want[w].trim() === '...') {
      for (let k = g; k <= got.length; k++) if (from(w + 1, k)) return true;
      return false;
    }
    return g < got.length && want[w] === got[g] && from(w + 1, g + 1);
  };
  return from(0, 0);
}

/** The failure message: the command, then the doc's lines and the real ones, side by side in two lists. */
export function explain(where: string, command: string, expected: string[], actual: string[]): string {
  const list = (lines: string[]) => lines.map((line) => `    | ${line}`).join('\n');
  return `${where}: \`${command}\` printed\n${list(actual)}\n  where the doc shows\n${list(expected)}`;
}

/** `# 401 {...}`, protocol.md's way of showing a status with the body: the step's command, asked to print it. */
export const WITH_STATUS = /^\d{3} [{[]/;

/** The command of a step whose output the doc shows as `401 {...}`, printing the status code the same way. */
export function withStatus(command: string): string {
  return `${command} -s -w '\\n%{http_code}'`;
}

/** Output of `withStatus()` read as the doc writes it: `401 {"status":"error",...}`. */
export function statusLine(output: string): string[] {
  const lines = outputLines(output);
  const code = lines.pop() ?? '';
  return [`${code} ${lines.join('\n')}`];
}

/**
 * Test helper: the fenced code blocks of a doc (CommonMark §4.5), each with the `<!-- check: ... -->` comment
 * that may stand just before it, and `mask()`, which blanks what differs from run to run (times, tokens,
 * signatures, keys, ids), so that a doc's example and a real run compare line by line. New.
 */

import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';

export interface Block {
  /** The info string's first word: `bash`, `console`, or '' for a plain fence. */
  lang: string;
  /** What `<!-- check: curl -->` before the block asks for (`curl`, `console Alice`), or '' for none. */
  check: string;
  /** The block's lines, without the fences and without the indentation of a fence inside a list. */
  lines: string[];
  /** 1-based line of the opening fence, for the failure message. */
  at: number;
}

const ROOT = resolve(__dirname, '../..');

/** The fenced blocks of `docs/<name>`, in order. */
export function codeBlocks(name: string): Block[] {
  const text = readFileSync(resolve(ROOT, 'docs', name), 'utf8').split('\n');
  const blocks: Block[] = [];
  let check = '';
  for (let i = 0; i < text.length; i++) {
    const open = /^(\s*)```(\S*)/.exec(text[i]);
    const marker = /^\s*<!--\s*check:\s*(.*?)\s*-->\s*$/.exec(text[i]);
    if (marker) check = marker[1];
    if (!open) {
      if (!marker && text[i].trim() !== '') check = '';
      continue;
    }
    const indent = open[1].length;
    const lines: string[] = [];
    let j = i + 1;
    for (; j < text.length && !/^\s*```\s*$/.test(text[j]); j++) lines.push(text[j].slice(indent));
    blocks.push({ lang: open[2], check, lines, at: i + 1 });
    check = '';
    i = j;
  }
  return blocks;
}

/** Run-to-run values, each replaced by a placeholder: the same in the doc and in a real run. */
const MASKS: Array<[RegExp, string]> = [
  [/^(#\s*)?Date: .*$/, '$1Date: <date>'],
  [/^(#\s*)?Last-Modified: .*$/, '$1Last-Modified: <date>'],
  [/\bETag: W\/"[0-9a-f-]+"/g, 'ETag: <etag>'],
  [/If-None-Match: W\/"[0-9a-f-]+"/g, 'If-None-Match: <etag>'],
  [/If-Modified-Since: [^']*/g, 'If-Modified-Since: <date>'],
  [/token=[A-Za-z0-9_-]+/g, 'token=<token>'],
  [/"(timestamp|time|last_seen)":\d+(\.\d+)?/g, '"$1":<time>'],
  [/"(signature|public_key|verifier)":"[^"]*"/g, '"$1":"<key>"'],
  [/\[\d\d:\d\d(:\d\d)?\]/g, '[<time>]'],
  [/oldest \d+s ago, next try (in \d+s|now)/g, 'oldest <n>s ago, next try <when>'],
  [/(127\.0\.0\.1:\d+)\/[a-z0-9]+-(\d+)/g, '$1/<id>-$2'],
  [/\([A-Za-z0-9+/]{43}=\)/g, '(<key>)'],
  [/kept in: \S+/g, 'kept in: <data-dir>'],
];

/** `line` with its run-to-run values replaced by placeholders. */
export function mask(line: string): string {
  return MASKS.reduce((text, [pattern, by]) => text.replace(pattern, by), line.trimEnd());
}

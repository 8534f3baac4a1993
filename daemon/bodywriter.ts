/**
 * Writing a body that is not all in memory: an `AsyncIterable` of pieces (an event stream, a file), or a
 * big Buffer, sent slice by slice with back-pressure: each slice waits for 'drain' when the socket's buffer
 * is full, so a slow reader slows the producer instead of filling our memory. New: WeApRous's Python
 * `response.py` built every body whole, in memory.
 */

import type { Socket } from 'node:net';
import { encodeChunk, LAST_CHUNK } from './chunked';

export interface BodyWriterOptions {
  /** Frame each piece as a chunk (HTTP/1.1 without a length) or send it raw (a length, or HTTP/1.0's close). */
  chunked: boolean;
  /** No single write is larger than this: the write timeout then sees a slow reader make progress. */
  sliceBytes: number;
  /** How every byte is written (the connection counts completed writes for its write timeout). */
  send: (data: Buffer) => void;
  /** Called once the producer is known, with a way to tell it to stop (the client went away). */
  onStart: (stop: () => void) => void;
}

/**
 * Writes every piece of `body` to `socket`. Resolves true once the body is out whole, false when it was cut
 * short (the client left, or the producer failed: the headers are gone, so cutting the connection is the only
 * honest signal left, and this function does it).
 */
export async function writeBody(socket: Socket, body: AsyncIterable<Buffer | string>, options: BodyWriterOptions): Promise<boolean> {
  try {
    const pieces = body[Symbol.asyncIterator]();
    options.onStart(() => stopProducer(pieces));
    for (;;) {
      const next = await pieces.next();
      if (next.done || socket.destroyed) break;
      const data = typeof next.value === 'string' ? Buffer.from(next.value, 'utf8') : next.value;
      if (data.length === 0) continue; // an empty chunk would end a chunked body
      for (const slice of slices(data, options.sliceBytes)) {
        if (socket.destroyed) break;
        if (options.chunked) for (const part of encodeChunk(slice)) options.send(part);
        else options.send(slice);
        if (socket.writableNeedDrain) await drained(socket);
      }
    }
    if (socket.destroyed) return false;
    if (options.chunked) options.send(LAST_CHUNK);
    return true;
  } catch (error) {
    console.error('[WeApRous] streamed body failed:', error);
    socket.destroy();
    return false;
  }
}

/**
 * Tells a producer its reader is gone, so it can stop and clean up. A hand-written iterator may return a plain
 * object, not a Promise, or throw: neither may escape, since this runs in the socket's 'close' listener, where
 * an exception would bring the whole server down.
 */
function stopProducer(pieces: AsyncIterator<unknown>): void {
  try {
    Promise.resolve(pieces.return?.()).catch(() => {});
  } catch (error) {
    console.error('[WeApRous] stopping a streamed body failed:', error);
  }
}

/** Resolves on 'drain' (the socket's buffer has been written out) or 'close' (it never will be). */
function drained(socket: Socket): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      socket.off('drain', done);
      socket.off('close', done);
      resolve();
    };
    socket.on('drain', done);
    socket.on('close', done);
  });
}

/** `data` as views of at most `size` bytes (no copies). */
export function* slices(data: Buffer, size: number): Iterable<Buffer> {
  if (data.length <= size) return yield data;
  for (let at = 0; at < data.length; at += size) yield data.subarray(at, at + size);
}

/** A Buffer already in memory, as a body `writeBody` sends in slices. */
export async function* inSlices(data: Buffer): AsyncIterable<Buffer> {
  yield data;
}

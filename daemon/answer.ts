/**
 * The answers of one server connection, as values: the slot a request's answer waits in, the app's handler
 * called so that a throw or a bad return becomes a 500, and the bytes a `Response` goes out as. No socket:
 * httpadapter.ts writes what this returns. Split out of WeApRous `daemon/httpadapter.py` (`handle_client`).
 */

import type { Request } from './request';
import { bodyAllowed, errorResponse, serializeHead, type Response } from './response';
import { inSlices } from './bodywriter';

export type RequestHandler = (request: Request) => Response | Promise<Response>;

/** A response waiting for its turn on the wire. */
export interface Slot {
  method: string;
  http10: boolean;
  close: boolean;
  response: Response | null;
  /** Gives back the server's body budget this request's body holds: called once its answer is written. */
  release(): void;
}

/** What one answer goes out as: one buffer, or a head followed by a body written piece by piece. */
export type Output =
  | { kind: 'whole'; bytes: Buffer; close: boolean }
  | { kind: 'stream'; head: Buffer; body: AsyncIterable<Buffer | string>; chunked: boolean; close: boolean };

/** The empty slot a request's answer will fill. */
export function newSlot(request: Request, release: () => void): Slot {
  return {
    method: request.method,
    http10: request.version === 'HTTP/1.0',
    close: !request.keepAlive,
    response: null,
    release,
  };
}

/**
 * Runs the handler and passes its answer to `settle`: at once when it returns one, later when it returns a
 * promise. A throw, a rejection or something that is not a response becomes a 500, so the queue never stalls.
 */
export function callHandler(handler: RequestHandler, request: Request, settle: (res: Response) => void): void {
  let result: Response | Promise<Response>;
  try {
    result = handler(request);
  } catch (error) {
    console.error('[WeApRous] handler threw:', error);
    result = errorResponse(500, 'Internal Server Error');
  }
  if (result instanceof Promise) {
    result.then(
      (res) => settle(checked(res)),
      (error) => {
        console.error('[WeApRous] handler failed:', error);
        settle(errorResponse(500, 'Internal Server Error'));
      },
    );
  } else {
    settle(checked(result));
  }
}

/** A handler written in plain JavaScript can return anything; null here would stall the queue for good. */
function checked(res: Response): Response {
  if (typeof res === 'object' && res !== null) return res;
  console.error(`[WeApRous] handler returned ${String(res)} instead of a Response`);
  return errorResponse(500, 'Internal Server Error');
}

/**
 * The bytes of the slot's response. A response that cannot be serialized becomes a 500. A body that is not
 * in memory, or bigger than `maxUnsentBytes`, is streamed: a big one in slices, each after the last has
 * drained, so the write timeout sees progress.
 */
export function encodeAnswer(slot: Slot, closeRequested: boolean, maxUnsentBytes: number): Output {
  const res = slot.response!;
  let serialized;
  try {
    serialized = serializeHead(res, { close: closeRequested, headRequest: slot.method === 'HEAD', http10: slot.http10 });
  } catch (error) {
    console.error('[WeApRous] invalid response:', error);
    slot.response = errorResponse(500, 'Internal Server Error');
    return encodeAnswer(slot, closeRequested, maxUnsentBytes);
  }
  const { head, chunked, close } = serialized;
  const body = res.body;
  const sendBody = slot.method !== 'HEAD' && bodyAllowed(res.status) && body !== null;
  if (sendBody && !Buffer.isBuffer(body)) {
    return { kind: 'stream', head: Buffer.from(head, 'latin1'), body: body as AsyncIterable<Buffer | string>, chunked, close };
  }
  if (sendBody && (body as Buffer).length > maxUnsentBytes) {
    return { kind: 'stream', head: Buffer.from(head, 'latin1'), body: inSlices(body as Buffer), chunked: false, close };
  }
  const bytes = sendBody ? joinHeadAndBody(head, body as Buffer) : Buffer.from(head, 'latin1');
  return { kind: 'whole', bytes, close };
}

/** One buffer for head and body: one write, one packet for small responses. */
function joinHeadAndBody(head: string, body: Buffer): Buffer {
  const headLength = head.length; // latin1: one byte per character
  const out = Buffer.allocUnsafe(headLength + body.length);
  out.write(head, 0, 'latin1');
  body.copy(out, headLength);
  return out;
}

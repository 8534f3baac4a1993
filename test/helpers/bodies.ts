/**
 * Helpers for tests of the apps' body readers, with no network: a request parsed from a body, and the sentence
 * of the 400 a reader throws. New; no WeApRous twin.
 */

import { expect } from 'chai';
import { parseRequest, type Request } from '../../daemon/request';
import { HttpError } from '../../daemon/status';

/** A POST whose body is `text`, sent as curl -d sends it (form-encoded), so the reader parses the JSON itself. */
export function post(text: string): Request {
  const raw = `POST /x/ HTTP/1.1\r\nHost: a\r\nContent-Length: ${Buffer.byteLength(text)}\r\n\r\n${text}`;
  const result = parseRequest(Buffer.from(raw, 'utf8'));
  if (result.kind !== 'request') throw new Error(`fixture does not parse: ${JSON.stringify(result)}`);
  return result.request;
}

/** The sentence of the 400 that `fn` throws. */
export function refusal(fn: () => unknown): string {
  try {
    fn();
  } catch (error) {
    expect(error).to.be.instanceOf(HttpError);
    expect((error as HttpError).status).to.equal(400);
    return (error as HttpError).message;
  }
  throw new Error('expected a 400');
}

/**
 * Reading a request's JSON body and its plain fields: the object itself, a required string, a display name, a
 * channel key. Each reader returns a clean value or throws an `HttpError(400)` saying what to send instead.
 * New: WeApRous's `apps/sampleApp.py` and `apps/peer.py` called `json.loads(body)` and hoped.
 */

import { HttpError } from '../daemon/status';
import type { Request } from '../daemon/request';
import { CONTROL_CHARACTERS } from './text';

export type JsonObject = Record<string, unknown>;

/**
 * The body as a JSON object. The app has already parsed it when `Content-Type` was JSON; otherwise
 * (`curl -d '{...}'` sends `application/x-www-form-urlencoded`) the text is parsed here, as the
 * Python original did whatever the header said.
 */
export function readJsonObject(request: Request, example: string): JsonObject {
  let value = request.json;
  if (value === undefined) {
    const text = request.body.toString('utf8').trim();
    if (text === '') throw new HttpError(400, `The body is empty; send a JSON object such as ${example}`);
    try {
      value = JSON.parse(text);
    } catch {
      throw new HttpError(400, `The body is not valid JSON; send a JSON object such as ${example}`);
    }
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new HttpError(400, `The body must be a JSON object such as ${example}`);
  }
  return value as JsonObject;
}

/** A required non-empty string field such as `"peer_id"` or `"msg"`, at most `maxLength` UTF-16 code units. */
export function requireString(body: JsonObject, field: string, example: string, maxLength: number): string {
  const value = body[field];
  if (value === undefined || value === null || value === '')
    throw new HttpError(400, `Missing "${field}": send e.g. "${field}":${JSON.stringify(example)}`);
  if (typeof value !== 'string') throw new HttpError(400, `"${field}" must be a string, e.g. "${field}":${JSON.stringify(example)}`);
  if (value.length > maxLength) throw new HttpError(400, `"${field}" is longer than ${maxLength} characters`);
  return value;
}

/**
 * An optional display name: 1 to 64 characters, no control characters (they would let one peer move another
 * peer's cursor or clear its screen).
 */
export function optionalName(body: JsonObject, field = 'name'): string | undefined {
  const value = body[field];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string' || value.trim() === '' || value.length > 64 || CONTROL_CHARACTERS.test(value)) {
    throw new HttpError(400, `"${field}" must be a display name of 1 to 64 characters, e.g. "${field}":"Alice"`);
  }
  return value.trim();
}

/** An optional channel key: 1 to 128 characters, no control characters. */
export function optionalKey(body: JsonObject, field = 'key'): string | undefined {
  const value = body[field];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string' || value === '' || value.length > 128 || CONTROL_CHARACTERS.test(value)) {
    throw new HttpError(400, `"${field}" must be 1 to 128 characters without control characters, e.g. "${field}":"s3cret"`);
  }
  return value;
}

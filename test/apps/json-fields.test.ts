/**
 * Reading a JSON body and its plain fields, with no network: the object itself, a required string, a display
 * name; each refusal is a 400 with a sentence saying what to send.
 * Tests for `apps/json-fields.ts` (new: WeApRous `apps/sampleApp.py` and `apps/peer.py` had no such checks).
 */

import { expect } from 'chai';
import { optionalName, readJsonObject, requireString } from '../../apps/json-fields';
import { MAX_MESSAGE_CHARS } from '../../apps/protocol';
import { post, refusal } from '../helpers/bodies';

describe('apps/json-fields.ts', () => {
  describe('readJsonObject()', () => {
    it('uses request.json when the app already parsed it, else parses the text', () => {
      const parsed = post('ignored');
      parsed.json = { a: 1 };
      expect(readJsonObject(parsed, '{}')).to.deep.equal({ a: 1 });
      expect(readJsonObject(post(' {"b":2} '), '{}')).to.deep.equal({ b: 2 });
    });

    it('says what to send for an empty body, bad JSON, or JSON that is not an object', () => {
      expect(refusal(() => readJsonObject(post(''), '{"x":1}'))).to.equal('The body is empty; send a JSON object such as {"x":1}');
      expect(refusal(() => readJsonObject(post('{"x":'), '{"x":1}'))).to.equal(
        'The body is not valid JSON; send a JSON object such as {"x":1}',
      );
      expect(refusal(() => readJsonObject(post('[1]'), '{"x":1}'))).to.equal('The body must be a JSON object such as {"x":1}');
    });
  });

  describe('field readers', () => {
    it('requireString() refuses a missing, non-string or over-long value', () => {
      expect(requireString({ msg: 'hi' }, 'msg', 'Hello', MAX_MESSAGE_CHARS)).to.equal('hi');
      expect(refusal(() => requireString({ msg: '' }, 'msg', 'Hello', MAX_MESSAGE_CHARS))).to.equal(
        'Missing "msg": send e.g. "msg":"Hello"',
      );
      expect(refusal(() => requireString({ msg: 1 }, 'msg', 'Hello', MAX_MESSAGE_CHARS))).to.match(/must be a string/);
      expect(refusal(() => requireString({ msg: 'x'.repeat(MAX_MESSAGE_CHARS + 1) }, 'msg', 'Hello', MAX_MESSAGE_CHARS))).to.match(
        /longer than 10000/,
      );
    });

    it('optionalName() trims a name, keeps its spaces and diacritics, and refuses control characters', () => {
      expect(optionalName({})).to.equal(undefined);
      expect(optionalName({ name: ' Nguyễn Văn An ' })).to.equal('Nguyễn Văn An');
      for (const name of ['', '  ', 'a\x1b[2J', 'x'.repeat(65), 7]) expect(refusal(() => optionalName({ name }))).to.match(/display name/);
    });
  });
});

/**
 * The paging parameters of `GET /get-list/`: none means the document's whole list, `limit` and `after` ask for
 * a page, and a bad value is a 400 with a sentence. Tests for `apps/tracker/paging.ts` (new, not in WeApRous).
 */

import { expect } from 'chai';
import { HttpError } from '../../../daemon/status';
import { readPageQuery } from '../../../apps/tracker/paging';

describe('readPageQuery()', () => {
  it('asks for no page without limit or after, whatever else the query holds', () => {
    expect(readPageQuery({})).to.equal(undefined);
    expect(readPageQuery({ channel: 'team' })).to.equal(undefined);
  });

  it('reads limit and after; after alone gets pages of 100', () => {
    expect(readPageQuery({ limit: '100' })).to.deep.equal({ limit: 100 });
    expect(readPageQuery({ limit: '1', after: '127.0.0.1:5001' })).to.deep.equal({ limit: 1, after: '127.0.0.1:5001' });
    expect(readPageQuery({ limit: '1000' })).to.deep.equal({ limit: 1000 });
    expect(readPageQuery({ after: '127.0.0.1:5001' })).to.deep.equal({ limit: 100, after: '127.0.0.1:5001' });
  });

  const bad: Array<[Record<string, string>, RegExp]> = [
    [{ limit: '0' }, /^"limit" must be a whole number from 1 to 1000, e.g. \/get-list\/\?limit=100$/],
    [{ limit: '1001' }, /"limit" must be a whole number from 1 to 1000/],
    [{ limit: '' }, /"limit" must be/],
    [{ limit: '1e2' }, /"limit" must be/],
    [{ limit: '-5' }, /"limit" must be/],
    [{ after: '' }, /^"after" must be the "next" of the previous page, a peer id such as 127.0.0.1:5001/],
    [{ after: 'x'.repeat(121) }, /"after" must be/],
    [{ after: 'a\nb' }, /"after" must be/],
  ];
  for (const [query, reason] of bad) {
    it(`refuses ${JSON.stringify(query)} with 400 and a sentence`, () => {
      try {
        readPageQuery(query);
        expect.fail('no error');
      } catch (error) {
        expect(error).to.be.instanceOf(HttpError);
        expect((error as HttpError).status).to.equal(400);
        expect((error as HttpError).message).to.match(reason);
      }
    });
  }
});

/**
 * The raw-socket upper bound answers once per `\r\n\r\n`, wherever TCP splits a pipelined batch.
 * Tests for `bench/http/fixed-reply.ts` (benchmark tooling; no WeApRous twin).
 */

import { expect } from 'chai';
import { countRequestEnds, FIXED_REPLY, replies } from '../../../bench/http/fixed-reply';

const GET = 'GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n';

/** Feeds `text` to countRequestEnds in pieces cut at `cuts`, as TCP might deliver it. */
function countInPieces(text: string, cuts: number[]): number {
  let carried = 0;
  let total = 0;
  const bounds = [0, ...cuts, text.length];
  for (let i = 0; i + 1 < bounds.length; i++) {
    const ends = countRequestEnds(Buffer.from(text.slice(bounds[i], bounds[i + 1]), 'latin1'), carried);
    total += ends.count;
    carried = ends.carried;
  }
  return total;
}

describe('countRequestEnds()', () => {
  it('counts every request head in a pipelined batch', () => {
    expect(countRequestEnds(Buffer.from(GET.repeat(10), 'latin1'), 0)).to.deep.equal({ count: 10, carried: 0 });
  });

  it('carries a partial \\r\\n\\r\\n into the next chunk', () => {
    expect(countRequestEnds(Buffer.from(GET.slice(0, -1), 'latin1'), 0)).to.deep.equal({ count: 0, carried: 3 });
    expect(countRequestEnds(Buffer.from('\n', 'latin1'), 3)).to.deep.equal({ count: 1, carried: 0 });
  });

  it('finds each of three pipelined requests when the bytes are split at every offset', () => {
    const batch = GET.repeat(3);
    for (let cut = 1; cut < batch.length; cut++) {
      expect(countInPieces(batch, [cut]), `split at ${cut}`).to.equal(3);
    }
  });

  it('finds them when every byte arrives on its own', () => {
    const batch = GET.repeat(2);
    expect(
      countInPieces(
        batch,
        Array.from({ length: batch.length - 1 }, (_, i) => i + 1),
      ),
    ).to.equal(2);
  });

  it('does not count a lone \\r\\n inside a head as its end', () => {
    expect(countRequestEnds(Buffer.from('GET / HTTP/1.1\r\nHost: a\r\n', 'latin1'), 0)).to.deep.equal({ count: 0, carried: 2 });
  });
});

describe('replies()', () => {
  it('repeats the fixed reply once per request, in one buffer', () => {
    expect(replies(3).equals(Buffer.concat([FIXED_REPLY, FIXED_REPLY, FIXED_REPLY]))).to.equal(true);
  });

  it('is a complete response whose Content-Length matches its body', () => {
    const text = FIXED_REPLY.toString('latin1');
    const [head, body] = text.split('\r\n\r\n');
    expect(head.startsWith('HTTP/1.1 200 OK\r\n')).to.equal(true);
    expect(Number(/Content-Length: (\d+)/.exec(head)?.[1])).to.equal(Buffer.byteLength(body));
  });
});

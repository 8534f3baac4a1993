/**
 * Writing a body piece by piece over a real socket pair on port 0: chunk framing, slices, back-pressure,
 * a producer told to stop when the reader leaves, and a failing producer. Tests for `daemon/bodywriter.ts`
 * (new: WeApRous's Python `response.py` built every body whole).
 */

import { expect } from 'chai';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { slices, writeBody, type BodyWriterOptions } from '../../daemon/bodywriter';

describe('slices()', () => {
  it('gives a small buffer back as it is, and cuts a big one into views of at most the size', () => {
    const small = Buffer.from('abc');
    expect([...slices(small, 4)]).to.deep.equal([small]);
    const parts = [...slices(Buffer.from('abcdefghij'), 4)].map((part) => part.toString());
    expect(parts).to.deep.equal(['abcd', 'efgh', 'ij']);
  });
});

describe('writeBody()', () => {
  let server: Server;
  let writer: Socket;
  let reader: Socket;

  beforeEach(async () => {
    const accepted = new Promise<Socket>((resolve) => {
      server = createServer((socket) => resolve(socket));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
    const port = (server.address() as { port: number }).port;
    reader = connect(port, '127.0.0.1');
    reader.on('error', () => {});
    writer = await accepted;
    writer.on('error', () => {});
  });

  afterEach(async () => {
    writer.destroy();
    reader.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  function options(chunked: boolean, extra: Partial<BodyWriterOptions> = {}): BodyWriterOptions {
    return { chunked, sliceBytes: 4, send: (data) => void writer.write(data), onStart: () => {}, ...extra };
  }

  /** Everything the reader gets until `writer` ends. */
  function received(): Promise<string> {
    let text = '';
    reader.on('data', (chunk: Buffer) => (text += chunk.toString('latin1')));
    return new Promise((resolve) => reader.on('end', () => resolve(text)));
  }

  async function* pieces(...parts: Array<string | Buffer>): AsyncGenerator<string | Buffer> {
    yield* parts;
  }

  it('frames each slice as a chunk and ends with the last chunk, skipping empty pieces', async () => {
    const got = received();
    expect(await writeBody(writer, pieces('hello', '', Buffer.from('!')), options(true))).to.equal(true);
    writer.end();
    expect(await got).to.equal('4\r\nhell\r\n1\r\no\r\n1\r\n!\r\n0\r\n\r\n');
  });

  it('sends raw bytes when not chunked', async () => {
    const got = received();
    expect(await writeBody(writer, pieces('hello', ' world'), options(false))).to.equal(true);
    writer.end();
    expect(await got).to.equal('hello world');
  });

  it('waits for the reader before pulling more from the producer (back-pressure)', async () => {
    let pulled = 0;
    async function* endless(): AsyncGenerator<Buffer> {
      for (;;) {
        pulled++;
        yield Buffer.alloc(64 * 1024, 'x');
      }
    }
    reader.pause();
    const writing = writeBody(writer, endless(), options(false, { sliceBytes: 64 * 1024 }));
    for (let i = 0; i < 50 && !writer.writableNeedDrain; i++) await new Promise((resolve) => setTimeout(resolve, 20));
    const before = pulled;
    await new Promise((resolve) => setTimeout(resolve, 100)); // a producer that runs on regardless would show here
    expect(pulled).to.equal(before);
    writer.destroy(); // the reader leaves: the writer stops, saying the body was cut short
    expect(await writing).to.equal(false);
  });

  it('hands over a stop() that tells the producer, even one whose return() gives a plain object', async () => {
    let stopped = false;
    const body: AsyncIterable<string> = {
      [Symbol.asyncIterator]: () => ({
        next: async () => ({ done: false, value: 'x' }),
        return: (() => ((stopped = true), { done: true, value: undefined })) as unknown as () => Promise<IteratorResult<string>>,
      }),
    };
    let stop: () => void = () => {};
    void writeBody(writer, body, options(false, { onStart: (s) => (stop = s) }));
    expect(() => stop()).not.to.throw();
    expect(stopped).to.equal(true);
    writer.destroy();
  });

  it('cuts the connection when the producer fails midway, so the reader can tell the body is incomplete', async () => {
    const errors: unknown[] = [];
    const original = console.error;
    console.error = (...args: unknown[]) => void errors.push(args);
    async function* failing(): AsyncGenerator<string> {
      yield 'part';
      throw new Error('disk gone');
    }
    try {
      expect(await writeBody(writer, failing(), options(true))).to.equal(false);
    } finally {
      console.error = original;
    }
    expect(writer.destroyed).to.equal(true);
    expect(errors).to.have.length(1);
  });
});

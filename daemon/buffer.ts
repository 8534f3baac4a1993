/**
 * The unread bytes of one connection: what has arrived from the socket and not been parsed yet.
 * Appending copies a packet into spare room that doubles when full, so a body arriving in a thousand
 * packets costs O(n), not O(n²). No sockets; used by connection.ts. New: WeApRous's Python adapter read
 * one 1024-byte chunk and never needed one.
 */

const EMPTY = Buffer.alloc(0);
const MIN_STORE = 64 * 1024;

export class GrowableBuffer {
  /** An allocation we own with room to spare; `view` lies inside it once two packets had to be joined. */
  private store: Buffer | null = null;
  /** The unread bytes; index 0 is the first byte of the message being parsed. */
  private view: Buffer = EMPTY;

  get bytes(): Buffer {
    return this.view;
  }

  get length(): number {
    return this.view.length;
  }

  /**
   * Adds `chunk` after the unread bytes. Only room past them is written, so a body already handed to a
   * handler (a view into the same allocation, before the unread bytes) is never overwritten.
   */
  append(chunk: Buffer): void {
    const view = this.view;
    if (view.length === 0) {
      this.view = chunk; // the common case, a whole request in one packet: no copy at all
      return;
    }
    const store = this.store;
    if (store && view.buffer === store.buffer) {
      const start = view.byteOffset - store.byteOffset;
      const end = start + view.length;
      if (end + chunk.length <= store.length) {
        chunk.copy(store, end);
        this.view = store.subarray(start, end + chunk.length);
        return;
      }
    }
    this.moveTo(Math.max(2 * (view.length + chunk.length), MIN_STORE));
    chunk.copy(this.store!, this.view.length);
    this.view = this.store!.subarray(0, this.view.length + chunk.length);
  }

  /**
   * Makes room for `total` unread bytes in one allocation, when the final size is known (a Content-Length):
   * a 1 MiB body then costs 1 MiB, not the up to 2 MiB that doubling could reserve.
   */
  reserve(total: number): void {
    const store = this.store;
    const start = store && this.view.buffer === store.buffer ? this.view.byteOffset - store.byteOffset : -1;
    if (start !== -1 && start + total <= store!.length) return;
    if (total <= this.view.length) return;
    this.moveTo(Math.max(total, MIN_STORE));
  }

  /** Drops the first `count` unread bytes (a message that has been parsed). */
  consume(count: number): void {
    if (count < this.view.length) {
      this.view = this.view.subarray(count);
      return;
    }
    // All read: let the allocation go, or an idle keep-alive connection would keep its largest body's room
    // for as long as it stays open (a body already handed to a handler keeps its own reference).
    this.view = EMPTY;
    this.store = null;
  }

  clear(): void {
    this.view = EMPTY;
    this.store = null;
  }

  private moveTo(size: number): void {
    const grown = Buffer.allocUnsafeSlow(size);
    this.view.copy(grown, 0);
    this.store = grown;
    this.view = grown.subarray(0, this.view.length);
  }
}

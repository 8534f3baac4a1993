/**
 * The text rules both apps (tracker and peer) share: which characters are control characters, how any text is
 * quoted in a log line (`printable`, defined once in `daemon/utils.ts`), and the sentence an error gives.
 * New: WeApRous has no twin; its apps printed whatever they got.
 */

export { CONTROL_CHARACTERS, printable } from '../daemon/utils';

/** What went wrong, as one sentence: `reasonOf(new Error('refused'))` → `'refused'`; anything else as a string. */
export function reasonOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

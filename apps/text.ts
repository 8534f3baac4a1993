/**
 * Text rules both apps use: the control characters no name or id may hold, and an error's reason as a sentence.
 * New; no WeApRous twin.
 */

/** C0 controls, DEL and C1 controls: refused in names, ids and channel names. */
export const CONTROL_CHARACTERS = /[\x00-\x1f\x7f-\x9f]/;

/** Why something failed, as a sentence: an `Error`'s message, or the value itself. */
export function reasonOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

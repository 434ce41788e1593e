// Chat text rules (issue 16): what a message and a guest name may be, and the blocked-words match.
// Text is kept as text: markup stays literal (the panel renders with textContent), control characters and
// bidirectional overrides/isolates are removed so nothing can reorder or hide what others see.
import { NAME_RE } from "../core/names.ts";

/** Longest message, in characters (Unicode code points, after cleaning). */
export const MAX_TEXT = 500;

// C0/C1 controls (newlines and tabs included: a message is one line), DEL, line/paragraph separators,
// bidi embeddings/overrides/isolates (U+202A-202E, U+2066-2069) and marks (U+200E/200F, U+061C).
// deno-lint-ignore no-control-regex
const STRIP_RE = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069\u200e\u200f\u061c]/g;

/**
 * The text of a message as it will be stored and shown: NFC-normalized, control and bidi characters
 * replaced by spaces, runs of spaces squeezed, trimmed. Returns `{ text }`, or `{ error }` with the reason
 * sent back (empty, or longer than MAX_TEXT characters).
 */
export function cleanText(raw: string): { text: string } | { error: string } {
  const text = raw.normalize("NFC").replace(STRIP_RE, " ").replace(/ {2,}/g, " ").trim();
  if (!text) return { error: "empty message" };
  let n = 0;
  for (const _ of text) {
    if (++n > MAX_TEXT) return { error: `message too long (at most ${MAX_TEXT} characters)` };
  }
  return { text };
}

/**
 * A guest's chosen name: 2-24 letters, digits, spaces, '_', '-' or '.', NFC-normalized and trimmed; or
 * `{ error }`. Registered user names are refused by the caller (no impersonation of a user).
 */
export function cleanGuestName(raw: unknown): { name: string } | { error: string } {
  if (typeof raw !== "string") return { error: "name must be text" };
  const name = raw.normalize("NFC").trim().replace(/ {2,}/g, " ");
  if (!/^[\p{L}\p{N}_ .-]{2,24}$/u.test(name)) {
    return { error: "a guest name is 2-24 letters, digits, spaces, '_', '-' or '.'" };
  }
  return { name };
}

/** Whether `name` could be a user name (guests may not take one that exists). */
export const userNameShaped = (name: string) => NAME_RE.test(name);

/**
 * Whether `text` contains one of `words` (already lower-cased and NFKC-normalized, see store/chat.ts),
 * compared case-insensitively on NFKC text, as whole words where the word starts/ends with a letter or
 * digit (so "ass" does not block "class").
 */
export function hasBlockedWord(text: string, words: readonly string[]): boolean {
  if (!words.length) return false;
  const t = text.normalize("NFKC").toLowerCase();
  for (const w of words) {
    let i = t.indexOf(w);
    while (i >= 0) {
      const before = i === 0 ? "" : t[i - 1];
      const after = t[i + w.length] ?? "";
      const wordy = (s: string) => /[\p{L}\p{N}]/u.test(s);
      const okStart = !wordy(w[0]) || !wordy(before);
      const okEnd = !wordy(w[w.length - 1]) || !wordy(after);
      if (okStart && okEnd) return true;
      i = t.indexOf(w, i + 1);
    }
  }
  return false;
}

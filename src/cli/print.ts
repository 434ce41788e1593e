// What the CLI prints of stored or typed-in text, made safe for the operator's terminal: every string that
// came from a user (key names, stream titles, paths, user names, allow-lists, error messages quoting them)
// goes through esc() before it is printed, so a tab, newline or escape sequence in a name cannot forge rows
// of a listing or send control sequences to the terminal (issue 25). New records cannot hold such
// characters any more (store/text.ts), but older records, restored backups or another writer might.
import { CONTROL_RE } from "../core/names.ts";

const ALL = new RegExp(`${CONTROL_RE.source}|\\\\`, "g");

/**
 * `s` with backslashes doubled and control characters (core/names.ts CONTROL_RE: C0, DEL, C1, U+2028/2029,
 * bidi overrides) written as `\t`, `\n`, `\r`, `\xNN` or `\uNNNN`: one printed line per value, readable,
 * and unambiguous (a literal "\t" in a name prints as `\\t`). Non-strings are converted with String().
 */
export function esc(s: unknown): string {
  return String(s).replace(ALL, (ch) => {
    if (ch === "\\") return "\\\\";
    if (ch === "\t") return "\\t";
    if (ch === "\n") return "\\n";
    if (ch === "\r") return "\\r";
    const n = ch.charCodeAt(0);
    return n < 0x100 ? `\\x${n.toString(16).padStart(2, "0")}` : `\\u${n.toString(16).padStart(4, "0")}`;
  });
}

/** A row of tab-separated fields, each escaped (so only the separators are tabs). */
export function row(...fields: unknown[]): string {
  return fields.map(esc).join("\t");
}

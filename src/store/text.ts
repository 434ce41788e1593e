// Free text users give records (stream titles, key names, share link labels): a length bound and no control
// characters. Such text is printed by the CLI and shown on pages; a newline, tab or escape sequence in it
// could forge rows of `livegate key list` or send escape codes to an operator's terminal (issue 25), so
// it is refused on input here, and the CLI escapes whatever it prints anyway (src/cli/print.ts).
import { StoreError } from "../core/errors.ts";
import { CONTROL_RE } from "../core/names.ts";

/**
 * `v` when it is a string of `min`..`max` characters (UTF-16 code units) without control characters
 * (C0, DEL, C1, U+2028/2029, bidirectional overrides: core/names.ts CONTROL_RE).
 * Throws StoreError "invalid" naming `field`.
 */
export function checkText(v: unknown, field: string, max: number, min = 0): string {
  if (typeof v !== "string" || v.length < min || v.length > max) {
    throw new StoreError(
      "invalid",
      min > 0 ? `${field} must be ${min}-${max} characters` : `${field} must be at most ${max} characters`,
    );
  }
  if (CONTROL_RE.test(v)) {
    throw new StoreError("invalid", `${field} must not contain control characters (tabs, newlines, escapes)`);
  }
  return v;
}

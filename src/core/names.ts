// Names livegate accepts for users and stream paths (MediaMTX allows letters, digits, '_', '.', '-' and
// '/' in path names; livegate keeps one segment and no leading '.' or '-').

/** User names and stream paths: letters, digits, '_', '-', '.', 1-64 characters, not starting with '.' or '-'. */
export const NAME_RE = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,63}$/;

/**
 * Characters that change how text is laid out or interpreted rather than showing as themselves: C0 controls
 * (tab, newline, ESC…), DEL, C1 controls (incl. CSI U+009B), line/paragraph separators and the bidirectional
 * embedding/override/isolate marks. Refused in free text (store/text.ts), escaped when printed (cli/print.ts).
 */
// deno-lint-ignore no-control-regex
export const CONTROL_RE = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/;

// The logger every per-app service takes: one line of text per call (operators read livegate's output).
// Lines that quote input from clients go through quoteForLog so they cannot forge further lines.

/** Writes one log line. */
export type Log = (line: string) => void;

export const consoleLog: Log = (line) => console.log(line);

/**
 * `s` cut to `max` characters with control characters (and U+2028/2029) escaped as \uXXXX, for quoting
 * client-supplied text in a log line.
 */
export function quoteForLog(s: string, max = 200): string {
  // deno-lint-ignore no-control-regex
  const re = /[\u0000-\u001f\u007f\u2028\u2029]/g;
  return s.slice(0, max).replace(re, (ch) => `\\u${ch.charCodeAt(0).toString(16).padStart(4, "0")}`);
}

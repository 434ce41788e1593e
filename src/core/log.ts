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

// Secrets livegate issues have recognisable shapes; anything that follows a credential-bearing name
// (token=, share=, password=, Bearer, user: in a URL) is a secret whatever its shape, unless it is a
// placeholder of help text (KEY, TOKEN, <...>).
const SHAPES: RegExp[] = [
  /\blgw?_[A-Za-z0-9_-]{16,}/g, // stream keys (lg_...) and browser publish tickets (lgw_...)
  /\b[A-Za-z0-9_-]{6,32}\.[0-9a-z]{1,12}\.[A-Za-z0-9_-]{20,64}\b/g, // share tokens (id.expiry.mac)
];
const NAMED = /((?:token|share|session|pass|password|key|secret|jwt)=|bearer\s+)([^&\s"']+)/gi;
const URL_PASSWORD = /(\/\/[^/\s:@]+:)[^@\s/]+(?=@)/g;
const STREAMID = /(streamid=)([^&\s"']+)/gi;
const PLACEHOLDER = /^(<[^>]*>|KEY|TOKEN)[,.;:)]*$/;

/**
 * `line` with every secret replaced by "[redacted]": livegate's keys, tickets and share tokens by their
 * shape, and whatever follows token=, share=, password=, Bearer or user: in a URL; of an SRT stream id
 * (action:path:user:pass) the credentials.
 */
export function redactSecrets(line: string): string {
  let out = line;
  for (const re of SHAPES) out = out.replace(re, "[redacted]");
  out = out.replace(
    NAMED,
    (m, name: string, value: string) => PLACEHOLDER.test(value) ? m : `${name}[redacted]`,
  );
  out = out.replace(URL_PASSWORD, "$1[redacted]");
  return out.replace(STREAMID, (m, name: string, value: string) => {
    const parts = value.split(":");
    if (PLACEHOLDER.test(parts[parts.length - 1])) return m;
    // publish:<path>[:<user>:<pass>]: the path stays when credentials follow it, else it may be the key.
    return parts.length >= 4 ? `${name}${parts.slice(0, 2).join(":")}:[redacted]` : `${name}[redacted]`;
  });
}

/** `log` behind redactSecrets: what the composition root gives every service (src/app/serve.ts). */
export function redacting(log: Log): Log {
  return (line) => log(redactSecrets(line));
}

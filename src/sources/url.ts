// A pulled source's URL: parsed with the WHATWG URL parser, checked (scheme MediaMTX can pull, a host, a
// port, not livegate itself) and masked (credentials shown as "***"). Schemes are MediaMTX v1.20.1's static
// sources (internal/staticsources: rtsp, rtsps, rtmp, rtmps, http(s) = HLS, srt); others are refused here,
// before MediaMTX sees them.
import type { Config } from "../config/config.ts";
import { CONTROL_RE } from "../core/names.ts";
import { StoreError } from "../core/errors.ts";

/** Schemes a source may use, with the port MediaMTX dials when the URL names none (null: required). */
export const SOURCE_SCHEMES: Record<string, number | null> = {
  rtsp: 554,
  rtsps: 322,
  rtmp: 1935,
  rtmps: 443,
  http: 80,
  https: 443,
  srt: null,
};

/** Longest URL accepted (characters). */
export const MAX_SOURCE_URL = 2048;

/** Query parameters that carry a secret in source URLs (SRT passphrase, tokens). */
const SECRET_PARAMS = /^(passphrase|pass|password|pwd|token|key|secret|auth|sig|signature)$/i;

/** Host names that reach this machine. */
const LOOPBACK =
  /^(localhost|127(\.\d{1,3}){3}|0\.0\.0\.0|\[::1?\]|\[::ffff:127(\.\d{1,3}){3}\]|\[::ffff:7f[0-9a-f]{2}:[0-9a-f]{1,4}\])$/i;

export interface ParsedSource {
  /** The URL as given (trimmed): what MediaMTX gets. */
  url: string;
  scheme: string;
  host: string;
  port: number;
  /** The URL with password and secret query parameters replaced by "***". */
  masked: string;
}

const invalid = (msg: string) => new StoreError("invalid", `source: ${msg}`);

/** `u` with its credentials replaced by "***" (the user name stays: it helps tell cameras apart). */
export function maskUrl(u: URL): string {
  const m = new URL(u.href);
  if (m.password) m.password = "***";
  for (const k of [...m.searchParams.keys()]) {
    if (SECRET_PARAMS.test(k)) m.searchParams.set(k, "***");
  }
  // SRT stream ids "action:path:user:pass" carry credentials in their last part.
  const sid = m.searchParams.get("streamid");
  if (sid && sid.split(":").length >= 4) {
    m.searchParams.set("streamid", [...sid.split(":").slice(0, 3), "***"].join(":"));
  }
  return m.href.replaceAll("%2A%2A%2A", "***");
}

/** The ports livegate and its MediaMTX listen on (a source there would pull livegate into itself). */
export function ownPorts(cfg: Config): Set<number> {
  const p = cfg.mediamtx.ports;
  const out = new Set<number>([cfg.port, ...Object.values(p)]);
  if (cfg.mediamtx.webrtcTcpPort !== null) out.add(cfg.mediamtx.webrtcTcpPort);
  return out;
}

/** Host names that are livegate itself: loopback, its listen address, public URL and publish host. */
function isSelfHost(host: string, cfg: Config): boolean {
  if (LOOPBACK.test(host)) return true;
  const own = [cfg.host, cfg.publishHost, new URL(cfg.publicUrl).hostname].map((h) => h.toLowerCase());
  return own.includes(host.toLowerCase());
}

/**
 * Parses and checks a source URL. Throws StoreError "invalid" (400) naming the problem: not a string, too
 * long, control characters, unparsable, a scheme MediaMTX cannot pull, no host, SRT without a port, or a
 * port of livegate's own on this machine (livegate would pull from itself).
 */
export function parseSourceUrl(raw: unknown, cfg: Config): ParsedSource {
  if (typeof raw !== "string") throw invalid("the URL must be a string");
  const text = raw.trim();
  if (!text) throw invalid("the URL is empty");
  if (text.length > MAX_SOURCE_URL) throw invalid(`the URL is longer than ${MAX_SOURCE_URL} characters`);
  if (CONTROL_RE.test(text) || /\s/.test(text)) {
    throw invalid("the URL must not contain spaces or control characters");
  }
  let u: URL;
  try {
    u = new URL(text);
  } catch {
    throw invalid("not a URL (e.g. rtsp://user:pass@192.168.1.20:554/stream1)");
  }
  const scheme = u.protocol.replace(/:$/, "").toLowerCase();
  if (!(scheme in SOURCE_SCHEMES)) {
    throw invalid(`unknown scheme '${scheme}': use ${Object.keys(SOURCE_SCHEMES).join(", ")}`);
  }
  if (!u.hostname) throw invalid("the URL names no host");
  const def = SOURCE_SCHEMES[scheme];
  if (u.port === "" && def === null) throw invalid(`${scheme} URLs need a port (e.g. ${scheme}://host:8890)`);
  const port = u.port === "" ? def! : Number(u.port);
  if (isSelfHost(u.hostname, cfg) && ownPorts(cfg).has(port)) {
    throw invalid(`${u.hostname}:${port} is livegate itself; a stream cannot pull from livegate's own ports`);
  }
  return { url: text, scheme, host: u.hostname, port, masked: maskUrl(u) };
}

// What a restream destination may be, checked before anything is stored: a name, a URL with a scheme
// livegate can feed without re-encoding (rtmp://, rtmps://, srt://, or an http(s):// WHIP endpoint) and
// the platform's key kept apart from the URL. Also builds the URL ffmpeg writes to from both (the only place
// the key and the URL meet, in memory, right before ffmpeg starts).
import { StoreError } from "../core/errors.ts";
import { CONTROL_RE } from "../core/names.ts";
import { checkText } from "../store/text.ts";
import type { DestinationKind } from "../store/restream.ts";

export interface DestinationFields {
  name: string;
  kind: DestinationKind;
  url: string;
}

const MAX_URL = 1024;
const MAX_KEY = 512;
/** Query parameters that carry credentials: they belong in the key field, where they are sealed. */
const CREDENTIAL_PARAMS = /^(key|streamkey|stream_key|token|access_token|auth|password|pass|passwd|secret)$/i;
/** SRT options ffmpeg's libsrt takes in the URL that may be set here (the stream id comes from the key). */
const SRT_OPTIONS = new Set(["latency", "mode", "transtype", "pkt_size", "payload_size", "maxbw", "oheadbw"]);

const invalid = (msg: string): never => {
  throw new StoreError("invalid", msg);
};

/**
 * Checks a destination URL and says how it is fed. Throws StoreError "invalid" with the reason: not a URL,
 * unsupported scheme, user:password in the URL, a key/token query parameter (the key has its own field), an
 * SRT stream id or passphrase in the URL, an SRT URL without port, an RTMP URL without application.
 */
export function checkDestinationUrl(v: unknown): { kind: DestinationKind; url: string } {
  if (typeof v !== "string" || v.trim() === "") return invalid("url is required");
  const s = v.trim();
  if (s.length > MAX_URL) return invalid(`url must be at most ${MAX_URL} characters`);
  if (CONTROL_RE.test(s) || /\s/.test(s)) return invalid("url must not contain spaces or control characters");
  let u: URL;
  try {
    u = new URL(s);
  } catch {
    return invalid("url is not a URL (e.g. rtmp://a.rtmp.youtube.com/live2 or srt://host:9000)");
  }
  const scheme = u.protocol.slice(0, -1).toLowerCase();
  const kind: DestinationKind | undefined = scheme === "rtmp"
    ? "rtmp"
    : scheme === "rtmps"
    ? "rtmps"
    : scheme === "srt"
    ? "srt"
    : scheme === "https" || scheme === "http"
    ? "whip"
    : undefined;
  if (!kind) {
    return invalid(
      `unsupported scheme '${scheme}:': use rtmp://, rtmps://, srt:// or an http(s):// WHIP endpoint`,
    );
  }
  if (!u.hostname) return invalid("url needs a host");
  if (u.username || u.password) {
    return invalid(
      "credentials in the wrong place: put the key in the key field, not user:password@ in the URL",
    );
  }
  if (u.hash) return invalid("url must not have a #fragment");
  for (const name of u.searchParams.keys()) {
    if (CREDENTIAL_PARAMS.test(name)) {
      return invalid(
        `credentials in the wrong place: put the key in the key field, not '${name}=' in the URL`,
      );
    }
  }
  if (kind === "srt") {
    if (!u.port) return invalid("an srt:// URL needs a port (srt://host:port)");
    if (u.pathname !== "" && u.pathname !== "/") return invalid("an srt:// URL has no path: srt://host:port");
    for (const [name, value] of u.searchParams) {
      if (name === "streamid" || name === "passphrase") {
        return invalid(
          `credentials in the wrong place: put the SRT ${name} in the key field, not in the URL`,
        );
      }
      if (!SRT_OPTIONS.has(name)) return invalid(`SRT option '${name}' is not supported here`);
      if (name === "mode" && value !== "caller") {
        return invalid("SRT mode must be caller (livegate connects out)");
      }
    }
  }
  if ((kind === "rtmp" || kind === "rtmps") && u.pathname.replace(/\/+/g, "") === "") {
    return invalid("an RTMP URL needs the application, e.g. rtmp://a.rtmp.youtube.com/live2");
  }
  // As typed, with the scheme in lower case (ffmpeg matches protocol names case-sensitively).
  return { kind, url: `${scheme}:${s.slice(scheme.length + 1)}`.replace(/\/+$/, "") };
}

/**
 * Checks the key (stream key, SRT stream id, or WHIP bearer token): 1-512 characters, no spaces or control
 * characters. Throws StoreError "invalid".
 */
export function checkDestinationKey(v: unknown): string {
  if (typeof v !== "string" || v.length === 0) return invalid("key is required (the platform's stream key)");
  if (v.length > MAX_KEY) return invalid(`key must be at most ${MAX_KEY} characters`);
  if (CONTROL_RE.test(v) || /\s/.test(v)) return invalid("key must not contain spaces or control characters");
  return v;
}

/**
 * Checks the certificate-verification choice: undefined (verify, the default), true, or false, which only an
 * rtmps:// destination may have (the explicit opt-out for a self-signed server). Throws StoreError "invalid".
 */
export function checkTlsVerify(v: unknown, kind: DestinationKind): boolean | undefined {
  if (v === undefined) return undefined;
  if (typeof v !== "boolean") return invalid("tlsVerify must be true or false");
  if (v === false && kind !== "rtmps") {
    return invalid("tlsVerify: false applies to rtmps:// destinations only");
  }
  return v;
}

/** Checks a destination name: 1-64 characters, no control characters. Throws StoreError "invalid". */
export function checkDestinationName(v: unknown): string {
  return checkText(typeof v === "string" ? v.trim() : v, "name", 64, 1);
}

/** The key as shown: "••••" plus its last 4 characters when it is long enough to keep most of it hidden. */
export function maskKey(key: string): string {
  return key.length >= 16 ? `••••${key.slice(-4)}` : "••••";
}

/**
 * The URL ffmpeg writes to: RTMP(S) appends the key as the last path element (how YouTube, Twitch and
 * nginx-rtmp take it; a key with "?..." keeps its query). SRT and WHIP keep the URL: their key goes in an
 * option (ffmpegArgs: -srt_streamid, taken verbatim, since ffmpeg 5.1 does not URL-decode a streamid in the
 * URL; WHIP's Authorization header).
 */
export function targetUrl(kind: DestinationKind, url: string, key: string): string {
  if (kind === "rtmp" || kind === "rtmps") return `${url.replace(/\/+$/, "")}/${key}`;
  return url;
}

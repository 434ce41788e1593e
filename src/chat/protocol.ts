// The chat's WebSocket protocol (issue 16; documented in the README, "Live chat"): JSON text frames, one
// object each with a "type". This file checks client frames and names the limits and close codes.
//
// client -> server
//   {"type":"send","text":"…","ref"?:"…"}            post a message (ref is echoed in an error about it)
//   {"type":"guest","name":"…"}                       write as a guest under this name (when the owner allows)
//   {"type":"ping"}                                   answered {"type":"pong"}
//   moderators only:
//   {"type":"delete","id":N}                          delete a message for everyone
//   {"type":"timeout","uid":"…","minutes":N}          refuse a user's messages for N minutes (1-10080)
//   {"type":"ban","uid":"…"} / {"type":"unban","uid":"…"}
//   {"type":"clear"}                                  delete every message so far
//   {"type":"slow","seconds":N}                       slow mode: one message per N seconds per user (0: off)
// server -> client
//   {"type":"hello","you":{…},"settings":{…},"viewers":N}
//   {"type":"history","messages":[message…],"deleted":[id…],"clearedThrough":id|null,"complete":bool}
//   {"type":"message","id","uid","user","role","text","at"}
//   {"type":"delete","id"}  {"type":"clear","through":id}  {"type":"settings",…}  {"type":"viewers","count"}
//   {"type":"you",…} (what this connection may do changed)  {"type":"error","reason","ref"?}  {"type":"pong"}
//   {"type":"batch","frames":[frame…]}  several of the frames above at once, in order (when they queued up)
// Close codes (RFC 6455 section 7.4.1): 1003 binary frame, 1008 policy (access ended, too many frames or
// bad frames, not reading), 1009 frame over MAX_FRAME, 1011 server error.

/** Largest client frame accepted (UTF-16 code units of the text frame); bigger: close 1009. */
export const MAX_FRAME = 4096;
/** Frames of any kind a connection may send per second before it is closed (1008). */
export const MAX_FRAMES_PER_S = 20;
/** Bad frames (invalid JSON, unknown type, wrong fields) answered with an error before closing (1008). */
export const MAX_BAD_FRAMES = 10;
/** Messages per user in RATE_WINDOW_MS (more get an error frame). */
export const RATE_MESSAGES = 5;
export const RATE_WINDOW_MS = 5000;
/**
 * Bytes queued in livegate for a client that does not read before it is dropped (1008). Bounds memory:
 * 1,000 such clients hold at most 256 MB here (the kernel's socket buffers fill first).
 */
export const MAX_BUFFERED = 256 * 1024;
/** Messages sent on a fresh join (a resume gets everything after its last id). */
export const JOIN_HISTORY = 100;

export const CLOSE_UNSUPPORTED = 1003;
export const CLOSE_POLICY = 1008;
export const CLOSE_TOO_BIG = 1009;

export type ClientFrame =
  | { type: "send"; text: string; ref?: string }
  | { type: "guest"; name: string }
  | { type: "ping" }
  | { type: "delete"; id: number }
  | { type: "timeout"; uid: string; minutes: number }
  | { type: "ban"; uid: string }
  | { type: "unban"; uid: string }
  | { type: "clear" }
  | { type: "slow"; seconds: number };

const UID_RE = /^(u:[A-Za-z0-9_][A-Za-z0-9_.-]{0,63}|g:[0-9a-f]{16})$/;

/** A client frame from its text, or `{ error }` saying what is wrong (sent back as an error frame). */
export function parseClientFrame(raw: string): ClientFrame | { error: string } {
  let v: unknown;
  try {
    v = JSON.parse(raw);
  } catch {
    return { error: "invalid JSON" };
  }
  if (!v || typeof v !== "object" || Array.isArray(v)) return { error: "a frame is a JSON object" };
  const o = v as Record<string, unknown>;
  const ref = typeof o.ref === "string" && o.ref.length <= 64 ? o.ref : undefined;
  const int = (x: unknown, min: number, max: number) =>
    typeof x === "number" && Number.isInteger(x) && x >= min && x <= max;
  switch (o.type) {
    case "send":
      if (typeof o.text !== "string") return { error: "send needs a text" };
      return { type: "send", text: o.text, ref };
    case "guest":
      if (typeof o.name !== "string") return { error: "guest needs a name" };
      return { type: "guest", name: o.name };
    case "ping":
      return { type: "ping" };
    case "clear":
      return { type: "clear" };
    case "delete":
      if (!int(o.id, 1, Number.MAX_SAFE_INTEGER)) return { error: "delete needs a message id" };
      return { type: "delete", id: o.id as number };
    case "timeout":
      if (typeof o.uid !== "string" || !UID_RE.test(o.uid)) return { error: "timeout needs a uid" };
      if (!int(o.minutes, 1, 10080)) return { error: "minutes must be 1-10080" };
      return { type: "timeout", uid: o.uid, minutes: o.minutes as number };
    case "ban":
    case "unban":
      if (typeof o.uid !== "string" || !UID_RE.test(o.uid)) return { error: `${o.type} needs a uid` };
      return { type: o.type, uid: o.uid };
    case "slow":
      if (!int(o.seconds, 0, 3600)) return { error: "seconds must be 0-3600" };
      return { type: "slow", seconds: o.seconds as number };
    default:
      return { error: "unknown frame type" };
  }
}

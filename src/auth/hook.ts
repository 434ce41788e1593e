// Decisions for MediaMTX's HTTP auth hook (authMethod: http). MediaMTX POSTs one JSON object per action;
// a 2xx answer allows it. Rules:
// - publish: a valid stream key for exactly that path (as ?token=KEY, the password, or a bearer token),
//   or, over WebRTC only, a single-use publish ticket livegate issued for exactly that path (browser WHIP);
// - read: only livegate's own internal credential (viewers read through livegate's proxies);
// - playback, api, metrics: only livegate's internal credential; pprof and anything unknown: never.
import { safeEqualString } from "./bytes.ts";
import type { MtxSecrets } from "../mediamtx/secrets.ts";

export interface HookRequest {
  ip: string;
  user: string;
  password: string;
  token: string;
  action: string;
  path: string;
  protocol: string;
  id: string | null;
  query: string;
  userAgent: string;
}

/** What allowed a publish: a stream key, or a browser publish ticket issued to a user. */
export type PublishGrant = { key: string } | { user: string };

export interface Decision {
  allow: boolean;
  reason: string;
  /** Set on an allowed publish: what allowed it (the running publish is checked again later). */
  grant?: PublishGrant;
}

export interface HookDeps {
  secrets: MtxSecrets;
  /** Key check by the rules in permissions.ts (a plain boolean is accepted for simple callers/tests). */
  checkPublishKey(path: string, key: string): Promise<boolean | Decision>;
  /** Redeems a browser publish ticket (src/webrtc/tickets.ts); returns the user it was issued to. */
  redeemPublishTicket?(path: string, ticket: string): Promise<string | null>;
}

/** Prefix of browser publish tickets (never a stream key prefix). */
export const PUBLISH_TICKET_PREFIX = "lgw_";

const STRING_FIELDS = [
  "ip",
  "user",
  "password",
  "token",
  "action",
  "path",
  "protocol",
  "query",
  "userAgent",
] as const;
const MAX_FIELD = 4096;

/** Validates the hook body's shape; returns an error message or the typed request. */
export function parseHookBody(body: unknown): HookRequest | string {
  if (!body || typeof body !== "object" || Array.isArray(body)) return "body must be a JSON object";
  const o = body as Record<string, unknown>;
  const out: Record<string, string | null> = {};
  for (const f of STRING_FIELDS) {
    const v = o[f];
    if (v === undefined || v === null) out[f] = "";
    else if (typeof v !== "string") return `field '${f}' must be a string`;
    else if (v.length > MAX_FIELD) return `field '${f}' is too long`;
    else out[f] = v;
  }
  if (o.id !== undefined && o.id !== null && typeof o.id !== "string") return "field 'id' must be a string";
  out.id = (o.id as string | undefined) ?? null;
  if (!out.action) return "field 'action' is required";
  return out as unknown as HookRequest;
}

/** The key a publisher presented: MediaMTX fills `token` from ?token= (RTMP/RTSP) or the password. */
export function presentedKey(r: HookRequest): string {
  if (r.token) return r.token;
  if (r.password) return r.password;
  try {
    return new URLSearchParams(r.query).get("token") ?? "";
  } catch {
    return "";
  }
}

function isInternal(r: HookRequest, s: MtxSecrets): boolean {
  // Evaluate both comparisons so timing does not tell which part was wrong.
  const u = safeEqualString(r.user, s.internalUser);
  const p = safeEqualString(r.password, s.internalPass);
  return u && p;
}

export async function decide(r: HookRequest, deps: HookDeps): Promise<Decision> {
  switch (r.action) {
    case "publish": {
      const key = presentedKey(r);
      if (!key) return { allow: false, reason: "publish needs a stream key (?token=KEY)" };
      if (!r.path) return { allow: false, reason: "publish needs a path" };
      if (key.startsWith(PUBLISH_TICKET_PREFIX)) {
        if (r.protocol !== "webrtc") return { allow: false, reason: "publish tickets are for WebRTC only" };
        const user = deps.redeemPublishTicket ? await deps.redeemPublishTicket(r.path, key) : null;
        return user
          ? { allow: true, reason: `browser publish by '${user}'`, grant: { user } }
          : { allow: false, reason: "invalid, used or expired publish ticket for this path" };
      }
      const ok = await deps.checkPublishKey(r.path, key);
      if (typeof ok === "object") return ok.allow ? { ...ok, grant: { key } } : ok;
      return ok
        ? { allow: true, reason: "valid stream key", grant: { key } }
        : { allow: false, reason: "invalid stream key for this path" };
    }
    case "read":
    case "playback":
    case "api":
    case "metrics":
      return isInternal(r, deps.secrets)
        ? { allow: true, reason: "livegate internal" }
        : { allow: false, reason: `${r.action} is only allowed through livegate` };
    case "pprof":
      return { allow: false, reason: "pprof is disabled" };
    default:
      return { allow: false, reason: `unknown action '${r.action}'` };
  }
}

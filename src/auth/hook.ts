// Decisions for MediaMTX's HTTP auth hook (authMethod: http). MediaMTX POSTs one JSON object per action;
// a 2xx answer allows it. Rules:
// - publish: a valid stream key for exactly that path (as ?token=KEY, the password, or a bearer token),
//   or, over WebRTC only, a single-use publish ticket livegate issued for exactly that path (browser WHIP);
// - read: only livegate's own internal credential (viewers read through livegate's proxies), a read
//   replica's credential when replicas are enabled (`replica` below; the door's "relay"), or a quality
//   ladder's credential for its own stream (src/ladder/; it also publishes that stream's rung paths);
// - playback, api, metrics: only livegate's internal credential; pprof and anything unknown: never.
// Every decision goes through the one door (access.ts); this file only maps MediaMTX's request onto it.
import { safeEqualString } from "../core/crypto.ts";
import { rungParent } from "../core/rungs.ts";
import { NAME_RE } from "../core/names.ts";
import { LADDER_USER, ladderCredential } from "../mediamtx/secrets.ts";
import type { MtxSecrets } from "../mediamtx/secrets.ts";
import type { Access, Actor } from "./access.ts";
import { PUBLISH_TICKET_PREFIX } from "./publish-tickets.ts";

export { PUBLISH_TICKET_PREFIX };

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
  /** The door (access.ts). */
  access: Pick<Access, "authorize">;
  /** Whether user/password are a read replica's credential (absent: replicas are not enabled). */
  replica?: (user: string, password: string) => Promise<boolean>;
}

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

/** Whether `r` carries the ladder credential of stream `path` (secrets.ts ladderCredential). */
async function isLadderOf(r: HookRequest, s: MtxSecrets, path: string): Promise<boolean> {
  const c = await ladderCredential(s, path);
  const u = safeEqualString(r.user, c.user);
  const p = safeEqualString(r.password, c.pass);
  return u && p;
}

/** The hook's decision for one MediaMTX auth request (allow: answer 2xx). Throws only on storage failures. */
export async function decide(r: HookRequest, deps: HookDeps): Promise<Decision> {
  switch (r.action) {
    case "publish": {
      // livegate's own ffmpeg publishes a quality ladder's rungs (src/ladder/) with the stream's ladder
      // credential (or the internal one); a rung path takes nothing else.
      const parent = rungParent(r.path);
      if (parent !== null) {
        const ok = isInternal(r, deps.secrets) || await isLadderOf(r, deps.secrets, parent);
        const actor: Actor = ok ? { kind: "internal" } : { kind: "anonymous" };
        const d = await deps.access.authorize({
          actor,
          action: "publish",
          path: r.path,
          protocol: r.protocol,
        });
        return d.allow
          ? { allow: true, reason: "quality ladder rung (livegate)" }
          : { allow: false, reason: d.reason };
      }
      const key = presentedKey(r);
      if (!key) return { allow: false, reason: "publish needs a stream key (?token=KEY)" };
      if (!r.path) return { allow: false, reason: "publish needs a path" };
      const actor: Actor = key.startsWith(PUBLISH_TICKET_PREFIX)
        ? { kind: "ticket", ticket: key }
        : { kind: "key", key };
      const d = await deps.access.authorize(
        { actor, action: "publish", path: r.path, protocol: r.protocol },
        {
          cache: true,
        },
      );
      if (!d.allow) return { allow: false, reason: d.reason };
      return { allow: true, reason: d.reason, grant: d.via === "ticket" ? { user: d.user! } : { key } };
    }
    case "read":
    case "playback":
    case "api":
    case "metrics": {
      const internal = isInternal(r, deps.secrets);
      // The quality ladder's ffmpeg reads its own stream with that stream's ladder credential (src/ladder/).
      const ladderRead = !internal && r.action === "read" && r.user === LADDER_USER && NAME_RE.test(r.path) &&
        await isLadderOf(r, deps.secrets, r.path);
      const replica = !internal && !ladderRead && r.action === "read" && !!deps.replica &&
        await deps.replica(r.user, r.password);
      const actor: Actor = internal || ladderRead
        ? { kind: "internal" }
        : replica
        ? { kind: "replica" }
        : { kind: "anonymous" };
      const d = await deps.access.authorize({ actor, action: replica ? "relay" : "mediamtx", path: r.path });
      return d.allow
        ? { allow: true, reason: d.reason }
        : { allow: false, reason: `${r.action} is only allowed through livegate` };
    }
    case "pprof":
      return { allow: false, reason: "pprof is disabled" };
    default:
      return { allow: false, reason: `unknown action '${r.action}'` };
  }
}

// Who may do what with a stream path: the rules themselves, applied by the one door (src/auth/access.ts)
// that every surface calls: the proxies, pages, the JSON API and the MediaMTX hook.
//
// Roles: admin (everything), streamer (publish to and manage the streams they own), viewer (watch).
// Watching depends on the stream's visibility:
//   public    anyone, no login;
//   private   logged-in users (on the stream's allow-list when it has one);
//   unlisted  like private, or anyone holding a valid share link (signed, expiring, revocable).
// Admins and the stream's owner may always watch. A path without a stream record is private, without owner.
// A share link is valid only while its creator may still share it (shareCreatorDenial): they exist, are not
// disabled, and are an admin or the stream's owner at that moment.
// Refusals do not tell whether a stream exists: anonymous callers get one answer (NO_LOGIN) for unlisted,
// private and nonexistent streams alike, logged-in ones one answer (NOT_FOR_YOU) for "no such stream" and
// "not on its viewer list".
// Publishing with a key: the key must belong to that path; a key created by a user only works while that
// user may still publish there (exists, not disabled, admin or the streamer owning the stream).
//
// Pure functions of the records: no I/O. The door that loads the records and applies these rules for a
// request is src/auth/access.ts; nothing else decides access.
import type { User } from "../store/users.ts";
import { DEFAULT_STREAM, type Stream } from "../store/streams.ts";
import type { StreamKey } from "../store/keys.ts";
import type { ClipSettings } from "../store/clips.ts";
import type { TokenScope } from "../store/tokens.ts";

/** The one refusal of a watch for callers without a login (whether or not the stream exists). */
export const NO_LOGIN = "login required";
/** The one refusal of a watch for logged-in callers (no such stream, or not allowed to watch it). */
export const NOT_FOR_YOU = "no such stream, or not for you";

/** A rule's answer: allowed with a reason, or refused with 401 (a credential would help) or 403. */
export type RuleDecision =
  | { allow: true; via: "admin" | "owner" | "public" | "share" | "login"; reason: string }
  | { allow: false; status: 401 | 403; reason: string };

const active = (u: User | null | undefined): u is User => !!u && !u.disabled;

export function isAdmin(user: User | null | undefined): boolean {
  return active(user) && user.role === "admin";
}

/** Owner of the stream (and still a streamer or admin). */
export function isOwner(user: User | null | undefined, stream: Stream | null): boolean {
  return active(user) && !!stream?.owner && stream.owner === user.name &&
    (user.role === "streamer" || user.role === "admin");
}

/** Publish (WHIP, keys) and manage keys, share links, kick: admins, and the streamer owning the stream. */
export function publishRule(user: User | null | undefined, stream: Stream | null): boolean {
  return isAdmin(user) || isOwner(user, stream);
}

/** Manage a stream (settings, keys, share links, kick): the same people as publishRule. */
export const canManageStream = publishRule;

/** The dashboard: streamers and admins. */
export function isStreamerOrAdmin(user: User | null | undefined): boolean {
  return active(user) && (user.role === "admin" || user.role === "streamer");
}

/** The watch rule, pure: `shareValid` says whether a valid share link for this path was presented. */
export function watchRule(
  user: User | null | undefined,
  stream: Stream | null,
  shareValid = false,
): RuleDecision {
  if (isAdmin(user)) return { allow: true, via: "admin", reason: "admin" };
  // A path without a stream record (never registered, or deleted) is for admins only: deleting a stream
  // must never widen who sees what is still live or recorded there.
  if (!stream) {
    return active(user)
      ? { allow: false, status: 403, reason: NOT_FOR_YOU }
      : { allow: false, status: 401, reason: NO_LOGIN };
  }
  const s = stream;
  if (s.visibility === "public") return { allow: true, via: "public", reason: "public stream" };
  if (isOwner(user, stream)) return { allow: true, via: "owner", reason: "owner" };
  if (s.visibility === "unlisted" && shareValid) return { allow: true, via: "share", reason: "share link" };
  // Same words whatever the visibility (and as for a path without a record): nothing to tell apart.
  if (!active(user)) return { allow: false, status: 401, reason: NO_LOGIN };
  if (s.allow.length > 0 && !s.allow.includes(user.name)) {
    return { allow: false, status: 403, reason: NOT_FOR_YOU };
  }
  return { allow: true, via: "login", reason: "logged in" };
}

/**
 * Why the creator of a share link (their current record: `creator`, named `name`) may no longer share
 * `stream`, or null while they may: the same people who may manage it (exist, not disabled, admin or the
 * stream's owner now). The door applies it to every share link it verifies, so a link ends with its
 * creator's right to make it (disabled, demoted, deleted, or the stream given another owner).
 */
export function shareCreatorDenial(
  creator: User | null | undefined,
  name: string,
  stream: Stream | null,
): { allow: false; reason: string } | null {
  if (!creator) return { allow: false, reason: `the link's creator '${name}' no longer exists` };
  if (creator.disabled) return { allow: false, reason: `the link's creator '${name}' is disabled` };
  if (!canManageStream(creator, stream)) {
    return { allow: false, reason: `the link's creator '${name}' may no longer share this stream` };
  }
  return null;
}

/** Whether the stream shows up in lists for this user (unlisted ones only for admins and the owner). */
export function canList(user: User | null | undefined, stream: Stream | null): boolean {
  const s = stream ?? DEFAULT_STREAM("");
  if (isAdmin(user) || isOwner(user, stream)) return true;
  if (s.visibility === "unlisted") return false;
  return watchRule(user, stream).allow;
}

/** The publish rule for a key, pure: `owner` is the key owner's current record (undefined: no owner). */
export function publishKeyRule(
  key: StreamKey | null,
  path: string,
  owner: User | null | undefined,
  stream: Stream | null,
): { allow: boolean; reason: string } {
  if (!key) return { allow: false, reason: "invalid stream key" };
  if (key.path !== path) return { allow: false, reason: "the key belongs to another stream path" };
  if (!key.owner) return { allow: true, reason: "valid stream key" };
  return userPublishDenial(owner, key.owner, `the key's owner '${key.owner}'`, path, stream) ??
    { allow: true, reason: `valid stream key of '${key.owner}'` };
}

/**
 * Why user `name` (their current record: `user`) may not publish to `path` now, or null when they may:
 * they must exist, not be disabled, and be an admin or the stream's owner. `who` names them in a reason.
 */
export function userPublishDenial(
  user: User | null | undefined,
  name: string,
  who: string,
  path: string,
  stream: Stream | null,
): { allow: false; reason: string } | null {
  if (!user) return { allow: false, reason: `${who} no longer exists` };
  if (user.disabled) return { allow: false, reason: `${who} is disabled` };
  if (!publishRule(user, stream)) return { allow: false, reason: `'${name}' may not publish to '${path}'` };
  return null;
}

/**
 * Cutting a clip of `stream` (issue #22): admins and the owner always; with the stream's clip setting
 * `clipBy: "viewers"` also every logged-in user who may see its recordings (the "recordings" rule: a login
 * and the watch rule, no share links). Default ("moderators"): the people who moderate, i.e. manage it.
 */
export function clipRule(
  user: User | null | undefined,
  stream: Stream | null,
  settings: ClipSettings,
): RuleDecision {
  if (isAdmin(user)) return { allow: true, via: "admin", reason: "admin" };
  if (!active(user)) return { allow: false, status: 401, reason: NO_LOGIN };
  if (isOwner(user, stream)) return { allow: true, via: "owner", reason: "owner" };
  if (settings.clipBy === "viewers") {
    const w = watchRule(user, stream);
    if (w.allow) return { allow: true, via: "login", reason: "viewers may clip this stream" };
    return w;
  }
  return watchRule(user, stream).allow
    ? { allow: false, status: 403, reason: "only the stream's owner and moderators may clip this stream" }
    : { allow: false, status: 403, reason: NOT_FOR_YOU };
}

/** Deleting a clip: its creator (while their account is active), the stream's owner, or an admin. */
export function clipDeleteRule(
  user: User | null | undefined,
  stream: Stream | null,
  createdBy: string,
): RuleDecision {
  if (isAdmin(user)) return { allow: true, via: "admin", reason: "admin" };
  if (!active(user)) return { allow: false, status: 401, reason: NO_LOGIN };
  if (isOwner(user, stream)) return { allow: true, via: "owner", reason: "owner" };
  if (user.name === createdBy) return { allow: true, via: "login", reason: "creator of the clip" };
  return {
    allow: false,
    status: 403,
    reason: "only the clip's creator, the stream's owner or an admin may delete it",
  };
}

/** A chat rule's answer (live chat, issue 16). */
export type ChatRuleDecision =
  | { allow: true; via: "admin" | "owner" | "moderator" | "login" | "guest"; reason: string }
  | { allow: false; status: 401 | 403; reason: string };

/**
 * Moderate a stream's chat (delete, time out, ban, slow mode, blocked words, clear): admins, the stream's
 * owner, and active users the owner appointed (`moderators`, the stream's chat settings).
 */
export function moderateRule(
  user: User | null | undefined,
  stream: Stream | null,
  moderators: readonly string[],
): ChatRuleDecision {
  if (isAdmin(user)) return { allow: true, via: "admin", reason: "admin" };
  if (isOwner(user, stream)) return { allow: true, via: "owner", reason: "owner" };
  if (!active(user)) return { allow: false, status: 401, reason: NO_LOGIN };
  if (stream && moderators.includes(user.name)) return { allow: true, via: "moderator", reason: "moderator" };
  return { allow: false, status: 403, reason: "only the stream's moderators may do this" };
}

/**
 * Write in a stream's chat, for a caller who may watch it (the door checks that first): logged-in users,
 * unless timed out or banned (`ban`, with `until` in ms since the epoch or null for a ban; moderators never
 * are); without a login only when the owner allows guests (`guests`) and a guest name was chosen.
 */
export function chatWriteRule(
  user: User | null | undefined,
  stream: Stream | null,
  chat: { moderators: readonly string[]; guests: boolean },
  ban: { until: number | null } | null,
  guestName: string | undefined,
  now: number,
): ChatRuleDecision {
  const mod = moderateRule(user, stream, chat.moderators);
  if (mod.allow) return mod;
  const banned = (): ChatRuleDecision | null =>
    !ban
      ? null
      : ban.until === null
      ? { allow: false, status: 403, reason: "you are banned from this chat" }
      : {
        allow: false,
        status: 403,
        reason: `you are timed out for ${Math.max(1, Math.ceil((ban.until - now) / 60_000))} more minute(s)`,
      };
  if (active(user)) return banned() ?? { allow: true, via: "login", reason: "logged in" };
  if (!chat.guests) return { allow: false, status: 401, reason: "log in to write in this chat" };
  if (!guestName) return { allow: false, status: 401, reason: "choose a name to write as a guest" };
  return banned() ?? { allow: true, via: "guest", reason: "guest" };
}

/**
 * The scope an API token needs for an action of the door (src/auth/access.ts), or null when no token may
 * do it: read (watch, list, recordings), streams (also publish, manage, moderate, dashboard: the streams
 * a user runs), admin (also administer). Managing API tokens and MediaMTX's own actions are never done
 * with a token. Scopes only narrow: the token's user still needs the rights the rules above give them.
 */
export function scopeFor(action: string): TokenScope | null {
  switch (action) {
    case "watch":
    case "list":
    case "recordings":
      return "read";
    case "publish":
    case "manage":
    case "moderate":
    case "dashboard":
      return "streams";
    case "administer":
      return "admin";
    default:
      return null;
  }
}

/** Why a token with `scopes` may not do `action` (403 with a reason), or null when its scopes allow it. */
export function tokenScopeDenial(
  scopes: readonly TokenScope[],
  action: string,
): { allow: false; status: 403; reason: string } | null {
  const need = scopeFor(action);
  if (!need) return { allow: false, status: 403, reason: `API tokens cannot be used for '${action}'` };
  // Each scope includes the ones before it: streams includes read, admin includes both.
  const rank = (s: TokenScope) => ["read", "streams", "admin"].indexOf(s);
  if (scopes.some((s) => rank(s) >= rank(need))) return null;
  return {
    allow: false,
    status: 403,
    reason: `this API token's scopes (${scopes.join(", ")}) do not allow '${action}'; it needs '${need}'`,
  };
}

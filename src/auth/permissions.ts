// Who may do what with a stream path: the single source of the rules, used by the proxies, pages, the admin
// API and the MediaMTX hook.
//
// Roles: admin (everything), streamer (publish to and manage the streams they own), viewer (watch).
// Watching depends on the stream's visibility:
//   public    anyone, no login;
//   private   logged-in users (on the stream's allow-list when it has one);
//   unlisted  like private, or anyone holding a valid share link (signed, expiring, revocable).
// Admins and the stream's owner may always watch. A path without a stream record is private, without owner.
// Publishing with a key: the key must belong to that path; a key created by a user only works while that
// user may still publish there (exists, not disabled, admin or the streamer owning the stream).
import type { User } from "../store/users.ts";
import { DEFAULT_STREAM, getStream, type Stream } from "../store/streams.ts";
import { findKey, findKeyByHash, type StreamKey, touchKey } from "../store/keys.ts";
import { sha256Hex } from "./bytes.ts";
import { publishCache, TTL_MS } from "./publish-cache.ts";
import { verifyShare } from "../store/shares.ts";
import { NAME_RE } from "../store/kv.ts";

export type Decision =
  | { allow: true; reason: string }
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

export const canManageStream = publishRule;

/** The watch rule, pure: `shareValid` says whether a valid share link for this path was presented. */
export function watchRule(
  user: User | null | undefined,
  stream: Stream | null,
  shareValid = false,
): Decision {
  if (isAdmin(user)) return { allow: true, reason: "admin" };
  // A path without a stream record (never registered, or deleted) is for admins only: deleting a stream
  // must never widen who sees what is still live or recorded there.
  if (!stream) {
    return active(user)
      ? { allow: false, status: 403, reason: "no such stream" }
      : { allow: false, status: 401, reason: "login required" };
  }
  const s = stream;
  if (s.visibility === "public") return { allow: true, reason: "public stream" };
  if (isOwner(user, stream)) return { allow: true, reason: "owner" };
  if (s.visibility === "unlisted" && shareValid) return { allow: true, reason: "share link" };
  if (!active(user)) {
    return {
      allow: false,
      status: 401,
      reason: s.visibility === "unlisted" ? "login or a valid share link required" : "login required",
    };
  }
  if (s.allow.length > 0 && !s.allow.includes(user.name)) {
    return { allow: false, status: 403, reason: "you are not on this stream's viewer list" };
  }
  return { allow: true, reason: "logged in" };
}

/** Whether the stream shows up in lists for this user (unlisted ones only for admins and the owner). */
export function canList(user: User | null | undefined, stream: Stream | null): boolean {
  const s = stream ?? DEFAULT_STREAM("");
  if (isAdmin(user) || isOwner(user, stream)) return true;
  if (s.visibility === "unlisted") return false;
  return watchRule(user, stream).allow;
}

/** The full watch decision for a request: loads the stream and checks a presented share token. */
export async function watchDecision(
  kv: Deno.Kv,
  user: User | null | undefined,
  path: string,
  shareToken?: string,
): Promise<Decision> {
  const stream = await getStream(kv, path);
  const first = watchRule(user, stream, false);
  if (first.allow || !shareToken || stream?.visibility !== "unlisted") return first;
  return watchRule(user, stream, !!(await verifyShare(kv, path, shareToken)));
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

/** The key owner's record and the stream record, read together (one KV round trip). */
async function ownerAndStream(kv: Deno.Kv, k: StreamKey | null, path: string) {
  if (!k || !NAME_RE.test(path)) return { owner: undefined, stream: null };
  if (!k.owner) return { owner: undefined, stream: await getStream(kv, path) };
  const [u, s] = await kv.getMany<[User, Stream]>([["users", k.owner], ["streams", path]]);
  return { owner: u.value, stream: s.value };
}

/**
 * The publish rule for a running publish, by what allowed it when it started (a key's hash, or the user a
 * browser publish ticket was issued to), read fresh from the store: no cache, nothing written.
 */
export async function grantRule(
  kv: Deno.Kv,
  path: string,
  allowance: { keyHash: string } | { user: string },
): Promise<{ allow: boolean; reason: string }> {
  if ("keyHash" in allowance) {
    const k = await findKeyByHash(kv, allowance.keyHash);
    const { owner, stream } = await ownerAndStream(kv, k, path);
    return k
      ? publishKeyRule(k, path, owner, stream)
      : { allow: false, reason: "its stream key was revoked" };
  }
  const name = allowance.user;
  const [u, s] = await kv.getMany<[User, Stream]>([["users", name], ["streams", path]]);
  return userPublishDenial(u.value, name, `'${name}'`, path, s.value) ??
    { allow: true, reason: `browser publish by '${name}'` };
}

/** Checks a presented publish key against the rules; records the key's last use when allowed. */
export async function checkPublishKey(
  kv: Deno.Kv,
  path: string,
  key: string,
): Promise<{ allow: boolean; reason: string }> {
  const k = await findKey(kv, key);
  const { owner, stream } = await ownerAndStream(kv, k, path);
  const d = publishKeyRule(k, path, owner, stream);
  if (d.allow && k) await touchKey(kv, k);
  return d;
}

/**
 * checkPublishKey for MediaMTX's auth hook: an allowed decision is reused for up to 2 s, with the
 * invalidation described in publish-cache.ts (any change through livegate: at once; the CLI: within 2 s).
 */
export async function checkPublishKeyCached(
  kv: Deno.Kv,
  path: string,
  key: string,
  now = Date.now(),
): Promise<{ allow: boolean; reason: string }> {
  if (!key || key.length > 256) return publishKeyRule(null, path, undefined, null);
  const cache = publishCache(kv);
  // Read before the first await: a clear from here on must keep this lookup's result out of the cache.
  const gen = cache.generation;
  const hash = await sha256Hex(key);
  const id = `${path}\n${hash}`;
  const lookup = async () => {
    const k = await findKeyByHash(kv, hash);
    const { owner, stream } = await ownerAndStream(kv, k, path);
    const d = publishKeyRule(k, path, owner, stream);
    if (d.allow && k) cache.set(id, { key: k, reason: d.reason }, gen, now);
    else cache.delete(id);
    return { d, k };
  };
  const hit = cache.entry(id, now);
  if (hit) {
    // Past half its life: read again in the background (publish-cache.ts), while this request uses it.
    if (now - hit.at >= TTL_MS / 2) cache.once(id, gen, lookup).catch(() => {});
    await touchKey(kv, hit.v.key, now);
    return { allow: true, reason: hit.v.reason };
  }
  const { d, k } = await cache.once(id, gen, lookup);
  if (d.allow && k) await touchKey(kv, k, now);
  return d;
}

/** The path a presented key may publish to right now (same rules as the hook), or null. No side effects. */
export async function validKeyPath(kv: Deno.Kv, key: string): Promise<string | null> {
  const k = await findKey(kv, key);
  if (!k) return null;
  const { owner, stream } = await ownerAndStream(kv, k, k.path);
  return publishKeyRule(k, k.path, owner, stream).allow ? k.path : null;
}

/** Whether this viewer may watch `path` (see watchDecision for the 401/403 distinction). */
export async function canWatch(
  kv: Deno.Kv,
  user: User | null | undefined,
  path: string,
  shareToken?: string,
): Promise<boolean> {
  return (await watchDecision(kv, user, path, shareToken)).allow;
}

/** Whether a logged-in user may publish to a path from the browser (WHIP) or manage it. */
export async function canPublish(kv: Deno.Kv, user: User | null | undefined, path: string): Promise<boolean> {
  return publishRule(user, await getStream(kv, path));
}

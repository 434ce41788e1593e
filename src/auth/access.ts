// The one door for access: `authorize({ actor, action, path })` answers every "may this actor do this on
// this stream" in livegate: MediaMTX's auth hook, HLS, WHEP/WHIP, recordings, the JSON API and the pages
// all ask here (as MediaMTX's internal/auth/manager.go Authenticate does for its servers). It loads the
// records the rules need, applies the pure rules of permissions.ts, and says whether the action is allowed,
// *via* what, and when refused the status (401 when a credential would help, 403 otherwise) and a reason.
//
// The short decision caches wrap this door, not its callers: allowed watch decisions of media requests
// (`cache: true`) and allowed publish-key decisions of the hook (publish-cache.ts) are reused for up to
// TTL_MS and cleared when the store announces a change they depend on (src/app/invalidation.ts).
import type { Clock } from "../core/clock.ts";
import { sha256Hex } from "../core/crypto.ts";
import { NAME_RE } from "../core/names.ts";
import { rungParent } from "../core/rungs.ts";
import type { Store } from "../store/kv.ts";
import { findKey, findKeyByHash, type StreamKey, touchKey } from "../store/keys.ts";
import { type Share, verifyShare } from "../store/shares.ts";
import { getStream, type Stream } from "../store/streams.ts";
import { hasSource } from "../store/sources.ts";
import { getUser, type User } from "../store/users.ts";
import { getClipSettings } from "../store/clips.ts";
import { getChatBan, getChatSettings } from "../store/chat.ts";
import type { ApiToken } from "../store/tokens.ts";
import {
  canList,
  chatWriteRule,
  clipDeleteRule,
  clipRule,
  isAdmin,
  isStreamerOrAdmin,
  moderateRule,
  NOT_FOR_YOU,
  publishKeyRule,
  publishRule,
  type RuleDecision,
  shareCreatorDenial,
  tokenScopeDenial,
  userPublishDenial,
  watchRule,
} from "./permissions.ts";
import { PublishCache, TTL_MS } from "./publish-cache.ts";
import type { PublishTickets } from "./publish-tickets.ts";
import { TtlCache } from "./session-cache.ts";

/**
 * Who asks. A logged-in browser is a `user`; one that also presents a share link (?share= or the
 * lg_share cookie) is a `share` actor carrying its user, if any. `key` is a stream key, `ticket` a
 * browser publish ticket livegate issued, `internal` livegate's own credential at MediaMTX, `replica` a
 * MediaMTX read replica presenting its credential (derived from the edge secret, src/edge/delivery.ts).
 * browser publish ticket livegate issued, `internal` livegate's own credential at MediaMTX. `token` is a
 * personal API token (`Authorization: Bearer lgt_…` on /api/*): its user's rights, narrowed by its scopes.
 */
export type Actor =
  | { kind: "anonymous" }
  | { kind: "user"; user: User }
  | { kind: "share"; token: string; user: User | null }
  | { kind: "key"; key: string }
  | { kind: "ticket"; ticket: string }
  | { kind: "internal" }
  | { kind: "replica" }
  | { kind: "token"; user: User; token: ApiToken };

/**
 * What is asked:
 *   watch       play the stream live (HLS, WHEP, the player page, media info)
 *   publish     send the stream (key, ticket, or a logged-in owner/admin from the browser)
 *   recordings  list, play and download the stream's recordings (a login is required; no share links)
 *   manage      change the stream's settings, keys, share links, see its viewers, kick its publisher
 *   moderate    act on the stream's audience and moderate its chat (manage's people, and the users the
 *               owner appointed as the stream's chat moderators)
 *   chat        write in the stream's live chat (who may watch, logged in or as a guest when the owner
 *               allows guests; not while timed out or banned from it)
 *   list        see the stream in lists (unlisted ones only for admins and the owner)
 *   dashboard   use the dashboard (streamers and admins; no path)
 *   administer  users, sessions, audit log, stream creation and deletion (admins; no path)
 *   mediamtx    MediaMTX's own read/playback/api/metrics actions (only livegate's internal credential)
 *   clip        cut a clip of the stream (the stream's clip setting: owner and moderators by default, or
 *               every logged-in user who may see its recordings; src/store/clips.ts)
 *   clip-delete delete a clip of the stream (its creator, given as `createdBy`, the owner, admins)
 *   relay       a MediaMTX read replica pulls a stream from the origin to serve its viewers (WHEP), who
 *               each need a token livegate issued after "watch" (only the replica credential)
 *   tokens      create, list and revoke one's own API tokens (any logged-in user; never with a token)
 */
export type Action =
  | "watch"
  | "publish"
  | "recordings"
  | "manage"
  | "moderate"
  | "chat"
  | "list"
  | "dashboard"
  | "administer"
  | "mediamtx"
  | "clip"
  | "clip-delete"
  | "relay"
  | "tokens";

export interface AccessRequest {
  actor: Actor;
  action: Action;
  /** The stream path (not needed for dashboard and administer). */
  path?: string;
  /** The protocol a publish arrives over, as MediaMTX names it (publish tickets are WebRTC only). */
  protocol?: string;
  /** clip-delete: the user name of the clip's creator. */
  createdBy?: string;
  /** chat: a guest's chat id ("g:HEX", from their address) and chosen name (absent: not writing as a guest). */
  guest?: { uid: string; name: string };
}

/** What allowed an action. */
export type Via =
  | "admin"
  | "owner"
  | "public"
  | "login"
  | "share"
  | "key"
  | "ticket"
  | "internal"
  | "role"
  | "replica"
  | "moderator"
  | "guest";

export type Decision =
  | {
    allow: true;
    via: Via;
    reason: string;
    /** via "share": the share link's record. */
    share?: Share;
    /** via "ticket": the user the ticket was issued to. */
    user?: string;
  }
  | { allow: false; status: 401 | 403; reason: string };

/** What allowed a running publish, as the publish ledger keeps it: a key only by its hash. */
export type Allowance = { keyHash: string } | { user: string };

export interface AccessDeps {
  store: Store;
  tickets: PublishTickets;
  clock: Clock;
}

const deny = (status: 401 | 403, reason: string): Decision => ({ allow: false, status, reason });

/** Why nobody publishes to a stream that pulls from a source (src/store/sources.ts). */
export const PULLED_STREAM = "this stream pulls from a source; it cannot be published to";

/** The user behind an actor (a share actor's logged-in user), or null. */
export function userOf(actor: Actor): User | null {
  return actor.kind === "user" || actor.kind === "token"
    ? actor.user
    : actor.kind === "share"
    ? actor.user
    : null;
}

/** The door. One per app, created by the composition root. */
export class Access {
  readonly publishCache = new PublishCache();
  /** Allowed watch decisions of media requests, by user, path and share token (TTL_MS). */
  readonly watchCache = new TtlCache<Decision>();
  readonly #store: Store;
  readonly #tickets: PublishTickets;
  readonly #clock: Clock;

  constructor(deps: AccessDeps) {
    this.#store = deps.store;
    this.#tickets = deps.tickets;
    this.#clock = deps.clock;
  }

  /** Forgets every cached decision (the store announced a change they may depend on). */
  clearCaches(): void {
    this.watchCache.clear();
    this.publishCache.clear();
  }

  /**
   * The decision for `req`. With `cache` an allowed watch decision may come from (and goes to) the short
   * decision cache (media requests); an allowed publish-key decision always may (the hook's hot path).
   * Side effects: an allowed key records its last use; a publish ticket is spent. Throws only on storage
   * failures (the store's errors).
   */
  async authorize(req: AccessRequest, opts: { cache?: boolean } = {}): Promise<Decision> {
    const { actor, action } = req;
    const path = req.path ?? "";
    if (action === "mediamtx") {
      return actor.kind === "internal"
        ? { allow: true, via: "internal", reason: "livegate internal" }
        : deny(403, "only allowed through livegate");
    }
    if (action === "relay") {
      return actor.kind === "replica"
        ? { allow: true, via: "replica", reason: "read replica" }
        : deny(403, "only read replicas relay streams");
    }
    if (actor.kind === "internal") return { allow: true, via: "internal", reason: "livegate internal" };
    if (actor.kind === "token") {
      // An API token acts as its user, but only within its scopes (permissions.ts tokenScopeDenial).
      const denial = tokenScopeDenial(actor.token.scopes, action);
      if (denial) return denial;
    }
    // A quality ladder's hidden rung path (<stream>/<H>p, core/rungs.ts): watching it (or its recordings,
    // when the ladder records rungs) is watching its stream (its recordings), exactly; anything else on it
    // (publishing above all) is livegate's own business.
    const parent = rungParent(path);
    if (parent !== null) {
      if (action === "watch" || action === "recordings") {
        return await this.authorize({ ...req, path: parent }, opts);
      }
      return deny(403, "rung paths of a quality ladder are published and managed by livegate only");
    }
    if (action === "publish" && actor.kind === "key") return await this.#publishKey(path, actor.key, opts);
    if (action === "publish" && actor.kind === "ticket") return await this.#publishTicket(path, actor, req);
    const user = userOf(actor);
    switch (action) {
      case "administer":
        if (!user) return deny(401, "login required");
        return isAdmin(user)
          ? { allow: true, via: "admin", reason: "admin" }
          : deny(403, "admin role required");
      case "dashboard":
        if (!user) return deny(401, "login required");
        return isStreamerOrAdmin(user)
          ? { allow: true, via: "role", reason: user.role }
          : deny(403, "streamer or admin role required");
      case "tokens":
        if (!user) return deny(401, "login required");
        return { allow: true, via: "login", reason: "own API tokens" };
      case "watch":
        return await this.#watch(path, actor, user, opts.cache ?? false);
      case "recordings": {
        // Recordings need a login (also for public streams); share links do not extend to them.
        if (!user) return deny(401, "login required");
        return ruleToDecision(watchRule(user, await this.#stream(path)));
      }
      case "clip": {
        const stream = await this.#stream(path);
        return ruleToDecision(clipRule(user, stream, await getClipSettings(this.#store, path)));
      }
      case "clip-delete":
        return ruleToDecision(clipDeleteRule(user, await this.#stream(path), req.createdBy ?? ""));
      case "list":
        return canList(user, await this.#stream(path))
          ? { allow: true, via: isAdmin(user) ? "admin" : "role", reason: "listed" }
          : deny(user ? 403 : 401, "not listed");
      case "moderate": {
        const stream = await this.#stream(path);
        const d = moderateRule(user, stream, (await getChatSettings(this.#store, path)).moderators);
        // An appointed moderator acts only where they may watch (an allow-list may leave them out).
        if (d.allow && d.via === "moderator" && !watchRule(user, stream).allow) return deny(403, NOT_FOR_YOU);
        return d;
      }
      case "chat": {
        const seen = await this.#watch(path, actor, user, false);
        if (!seen.allow) return seen;
        const [stream, chat] = await Promise.all([this.#stream(path), getChatSettings(this.#store, path)]);
        const uid = user ? `u:${user.name}` : req.guest?.uid;
        const now = this.#clock.now();
        const ban = uid ? await getChatBan(this.#store, path, uid, now) : null;
        return chatWriteRule(user, stream, chat, ban, user ? undefined : req.guest?.name, now);
      }
      case "publish":
      case "manage": {
        if (!user) return deny(401, "login required");
        const stream = await this.#stream(path);
        if (action === "publish" && publishRule(user, stream) && await hasSource(this.#store, path)) {
          return deny(403, PULLED_STREAM);
        }
        if (!publishRule(user, stream)) {
          return deny(
            403,
            action === "publish"
              ? "not allowed to publish to this path"
              : "only admins and the stream's owner may do this",
          );
        }
        return isAdmin(user)
          ? { allow: true, via: "admin", reason: "admin" }
          : { allow: true, via: "owner", reason: "owner" };
      }
    }
  }

  async #stream(path: string): Promise<Stream | null> {
    return NAME_RE.test(path) ? await getStream(this.#store, path) : null;
  }

  async #watch(path: string, actor: Actor, user: User | null, cache: boolean): Promise<Decision> {
    const share = actor.kind === "share" ? actor.token : undefined;
    const id = `${user?.name ?? ""}\n${path}\n${share ?? ""}`;
    if (cache) {
      const hit = this.watchCache.get(id, this.#clock.now());
      if (hit) return hit;
    }
    const stream = await this.#stream(path);
    let d = ruleToDecision(watchRule(user, stream, false));
    if (!d.allow && share && stream?.visibility === "unlisted") {
      const rec = await verifyShare(this.#store, path, share);
      // A link is only as good as its creator's right to share the stream now (permissions.ts).
      if (rec && !shareCreatorDenial(await getUser(this.#store, rec.createdBy), rec.createdBy, stream)) {
        d = ruleToDecision(watchRule(user, stream, true), rec);
      }
    }
    if (cache && d.allow) this.watchCache.set(id, d, this.#clock.now());
    return d;
  }

  async #publishTicket(path: string, actor: { ticket: string }, req: AccessRequest): Promise<Decision> {
    if (req.protocol !== "webrtc") return deny(403, "publish tickets are for WebRTC only");
    if (await hasSource(this.#store, path)) return deny(403, PULLED_STREAM);
    const user = await this.#tickets.redeem(path, actor.ticket);
    return user
      ? { allow: true, via: "ticket", reason: `browser publish by '${user}'`, user }
      : deny(401, "invalid, used or expired publish ticket for this path");
  }

  /** The key owner's record and the stream record, read together (one KV round trip). */
  async #ownerAndStream(k: StreamKey | null, path: string) {
    const kv = this.#store.kv;
    if (!k || !NAME_RE.test(path)) return { owner: undefined, stream: null };
    if (!k.owner) return { owner: undefined, stream: await getStream(this.#store, path) };
    const [u, s] = await kv.getMany<[User, Stream]>([["users", k.owner], ["streams", path]]);
    return { owner: u.value, stream: s.value };
  }

  /** The publish rule for the key with SHA-256 `hash` on `path`, with the records it read (no cache). */
  async #keyRule(hash: string, path: string) {
    const k = await findKeyByHash(this.#store, hash);
    const { owner, stream } = await this.#ownerAndStream(k, path);
    const d = publishKeyRule(k, path, owner, stream);
    if (d.allow && await hasSource(this.#store, path)) {
      return { d: { allow: false, reason: PULLED_STREAM }, k };
    }
    return { d, k };
  }

  /**
   * A publish with a stream key. Allowed decisions are reused for up to TTL_MS unless `cache` is false
   * (publish-cache.ts: shared lookups in flight, refreshed ahead of expiry); refusals always read the store.
   */
  async #publishKey(path: string, key: string, opts: { cache?: boolean }) {
    if (!key || key.length > 256) return keyDecision(publishKeyRule(null, path, undefined, null));
    const now = this.#clock.now();
    const cache = this.publishCache;
    // Read before the first await: a clear from here on must keep this lookup's result out of the cache.
    const gen = cache.generation;
    const hash = await sha256Hex(key);
    const id = `${path}\n${hash}`;
    const lookup = async () => {
      const r = await this.#keyRule(hash, path);
      if (r.d.allow && r.k) cache.set(id, { key: r.k, reason: r.d.reason }, gen, now);
      else cache.delete(id);
      return r;
    };
    if (opts.cache !== false) {
      const hit = cache.entry(id, now);
      if (hit) {
        // Past half its life: read again in the background (publish-cache.ts), while this request uses it.
        if (now - hit.at >= TTL_MS / 2) cache.once(id, gen, lookup).catch(() => {});
        await touchKey(this.#store, hit.v.key, now);
        return { allow: true, via: "key", reason: hit.v.reason } as Decision;
      }
    }
    const { d, k } = await cache.once(id, gen, lookup);
    if (d.allow && k) await touchKey(this.#store, k, now);
    return keyDecision(d);
  }

  /**
   * The "list" decision for records already loaded (lists of many streams read them in one go): whether
   * `actor` sees `stream` (null: a path without a record) in lists. Same rule as authorize "list".
   */
  listed(actor: Actor, stream: Stream | null): boolean {
    if (actor.kind === "token" && tokenScopeDenial(actor.token.scopes, "list")) return false;
    return actor.kind === "internal" || canList(userOf(actor), stream);
  }

  /**
   * The "manage" decision for a record already loaded (lists of many streams): whether `actor` may manage
   * `stream`. Same rule as authorize "manage".
   */
  manages(actor: Actor, stream: Stream | null): boolean {
    if (actor.kind === "token" && tokenScopeDenial(actor.token.scopes, "manage")) return false;
    return actor.kind === "internal" || publishRule(userOf(actor), stream);
  }

  /**
   * Whether a running publish is still allowed, by what allowed it when it started (a key's hash, or the
   * user a browser publish ticket was issued to), read fresh from the store: no cache, nothing written.
   * Used by the recheck of running publishes (publish-recheck.ts).
   */
  async publishGrant(path: string, allowance: Allowance): Promise<{ allow: boolean; reason: string }> {
    if ("keyHash" in allowance) {
      const { d, k } = await this.#keyRule(allowance.keyHash, path);
      return k ? d : { allow: false, reason: "its stream key was revoked" };
    }
    const name = allowance.user;
    const [u, s] = await this.#store.kv.getMany<[User, Stream]>([["users", name], ["streams", path]]);
    const denial = userPublishDenial(u.value, name, `'${name}'`, path, s.value);
    if (denial) return denial;
    if (await hasSource(this.#store, path)) return { allow: false, reason: PULLED_STREAM };
    return { allow: true, reason: `browser publish by '${name}'` };
  }

  /**
   * The path a presented key may publish to right now (same rules as a publish), or null. No side
   * effects (the key's last use is not recorded).
   */
  async keyPath(key: string): Promise<string | null> {
    const k = await findKey(this.#store, key);
    if (!k) return null;
    const { owner, stream } = await this.#ownerAndStream(k, k.path);
    return publishKeyRule(k, k.path, owner, stream).allow ? k.path : null;
  }
}

function ruleToDecision(d: RuleDecision, share?: Share): Decision {
  if (!d.allow) return d;
  return d.via === "share" && share
    ? { allow: true, via: d.via, reason: d.reason, share }
    : { allow: true, via: d.via, reason: d.reason };
}

function keyDecision(d: { allow: boolean; reason: string }): Decision {
  return d.allow ? { allow: true, via: "key", reason: d.reason } : deny(401, d.reason);
}

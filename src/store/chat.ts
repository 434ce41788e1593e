// Live chat records (issue 16), under their own KV prefixes:
//   ["chat_msg", path, id]       -> ChatMessage   kept 24 h (expireIn) and at most the last MAX_MESSAGES
//   ["chat_del", path, id]       -> ChatTombstone a deleted message's id, kept 24 h, so a resume learns it
//   ["chat_clear", path]         -> ChatClear     "everything up to this id was cleared", kept 24 h
//   ["chat_settings", path]      -> ChatSettings  moderators, guests, slow mode, blocked words
//   ["chat_ban", path, uid]      -> ChatBan       a ban (until null) or a timeout (expires with it)
//   ["chat_key"]                 -> random bytes  HMAC key for guests' ids (hash of their address)
// Moderation writes carry their audit entry in the same atomic operation, and every write announces a
// Change of kind "chat" (src/core/changes.ts).
import { StoreError } from "../core/errors.ts";
import { b64decode, b64encode } from "../core/crypto.ts";
import { CONTROL_RE, NAME_RE } from "../core/names.ts";
import type { Store } from "./kv.ts";
import { type AuditInput, withAudit } from "./audit.ts";

/** Messages kept per stream (the oldest beyond are deleted as new ones arrive). */
export const MAX_MESSAGES = 500;
/** How long messages, tombstones and clears are kept (ms; KV expireIn). */
export const KEEP_MS = 24 * 3600 * 1000;

/** The badge shown next to a name ("" for a plain logged-in viewer). */
export type ChatRole = "owner" | "admin" | "moderator" | "guest" | "";

export interface ChatMessage {
  /** Increasing per stream (ms since the epoch x 1000 + a counter), so "since id" resumes in order. */
  id: number;
  /** Who wrote it, for moderation: "u:NAME" for users, "g:HEX" for guests (HMAC of their address). */
  uid: string;
  /** The name shown. */
  user: string;
  role: ChatRole;
  text: string;
  /** When it was accepted (ms since the epoch). */
  at: number;
}

export interface ChatTombstone {
  id: number;
  at: number;
}

export interface ChatClear {
  /** Every message with an id up to this one is gone. */
  through: number;
  at: number;
}

export interface ChatSettings {
  /** Users the owner appointed to moderate this stream's chat. */
  moderators: string[];
  /** Whether viewers without a login may write under a name they choose. */
  guests: boolean;
  /** Slow mode: one message per this many seconds per user (0: off). */
  slowSeconds: number;
  /** Messages containing one of these (case-insensitive) are refused. */
  blockedWords: string[];
}

export interface ChatBan {
  uid: string;
  /** The name shown when it was given (for the moderators' list). */
  name: string;
  /** ms since the epoch; null: banned until lifted. */
  until: number | null;
  by: string;
  at: number;
}

export const DEFAULT_CHAT_SETTINGS: ChatSettings = {
  moderators: [],
  guests: false,
  slowSeconds: 0,
  blockedWords: [],
};

const settingsKey = (path: string): Deno.KvKey => ["chat_settings", path];
const banKey = (path: string, uid: string): Deno.KvKey => ["chat_ban", path, uid];

/** The chat settings of `path` (the defaults when none were saved). */
export async function getChatSettings(db: Store, path: string): Promise<ChatSettings> {
  if (!NAME_RE.test(path)) return DEFAULT_CHAT_SETTINGS;
  return (await db.kv.get<ChatSettings>(settingsKey(path))).value ?? DEFAULT_CHAT_SETTINGS;
}

/**
 * Checks a settings patch from JSON. Throws StoreError "invalid" naming the field: moderators a list of
 * ≤ 100 user names, guests a boolean, slowSeconds an integer 0-3600, blockedWords ≤ 200 words of 1-50
 * characters without control characters (trimmed, lower-cased, duplicates dropped).
 */
export function validateChatPatch(p: Record<string, unknown>): Partial<ChatSettings> {
  const out: Partial<ChatSettings> = {};
  for (const k of Object.keys(p)) {
    if (!["moderators", "guests", "slowSeconds", "blockedWords"].includes(k)) {
      throw new StoreError("invalid", `unknown chat setting '${k}'`);
    }
  }
  if (p.moderators !== undefined) {
    let l = p.moderators;
    if (typeof l === "string") l = l.split(/[\s,]+/).filter(Boolean);
    if (!Array.isArray(l) || l.length > 100 || l.some((n) => typeof n !== "string" || !NAME_RE.test(n))) {
      throw new StoreError("invalid", "moderators must be a list of at most 100 user names");
    }
    out.moderators = [...new Set(l as string[])].sort();
  }
  if (p.guests !== undefined) {
    if (typeof p.guests !== "boolean") throw new StoreError("invalid", "guests must be true or false");
    out.guests = p.guests;
  }
  if (p.slowSeconds !== undefined) {
    const n = p.slowSeconds;
    if (typeof n !== "number" || !Number.isInteger(n) || n < 0 || n > 3600) {
      throw new StoreError("invalid", "slowSeconds must be a whole number of seconds from 0 to 3600");
    }
    out.slowSeconds = n;
  }
  if (p.blockedWords !== undefined) {
    let l = p.blockedWords;
    if (typeof l === "string") l = l.split(/[\n,]+/);
    if (!Array.isArray(l) || l.length > 200 || l.some((w) => typeof w !== "string")) {
      throw new StoreError("invalid", "blockedWords must be a list of at most 200 words");
    }
    const words = (l as string[]).map((w) => w.trim().normalize("NFKC").toLowerCase()).filter(Boolean);
    if (words.some((w) => w.length > 50 || CONTROL_RE.test(w))) {
      throw new StoreError("invalid", "blocked words must be 1-50 characters without control characters");
    }
    out.blockedWords = [...new Set(words)].sort();
  }
  return out;
}

/** Saves a settings patch (with its audit entry); returns the new settings. Throws StoreError conflict. */
export async function updateChatSettings(
  db: Store,
  path: string,
  patch: Partial<ChatSettings>,
  audit?: AuditInput,
): Promise<ChatSettings> {
  for (let i = 0; i < 10; i++) {
    const cur = await db.kv.get<ChatSettings>(settingsKey(path));
    const next = { ...DEFAULT_CHAT_SETTINGS, ...cur.value, ...patch };
    const res = await withAudit(db.kv.atomic().check(cur).set(settingsKey(path), next), audit).commit();
    if (res.ok) {
      db.changes.emit({ kind: "chat", path, op: "settings" });
      return next;
    }
  }
  throw new StoreError("conflict", "the chat settings are being changed by others; try again");
}

/** The ban or timeout of `uid` on `path` still in force at `now` (ms), or null. */
export async function getChatBan(db: Store, path: string, uid: string, now: number): Promise<ChatBan | null> {
  const b = (await db.kv.get<ChatBan>(banKey(path, uid))).value;
  return b && (b.until === null || b.until > now) ? b : null;
}

/** The bans and timeouts in force on `path`. */
export async function listChatBans(db: Store, path: string, now: number): Promise<ChatBan[]> {
  const out: ChatBan[] = [];
  for await (const e of db.kv.list<ChatBan>({ prefix: ["chat_ban", path] })) {
    if (e.value.until === null || e.value.until > now) out.push(e.value);
  }
  return out;
}

/** Bans (`ban.until` null) or times out `ban.uid` on `path`, with its audit entry. */
export async function setChatBan(db: Store, path: string, ban: ChatBan, audit?: AuditInput): Promise<void> {
  const opts = ban.until === null ? {} : { expireIn: Math.max(1, ban.until - ban.at) };
  await withAudit(db.kv.atomic().set(banKey(path, ban.uid), ban, opts), audit).commit();
  db.changes.emit({ kind: "chat", path, op: "ban", uid: ban.uid });
}

/** Lifts a ban or timeout, with its audit entry. */
export async function removeChatBan(db: Store, path: string, uid: string, audit?: AuditInput): Promise<void> {
  await withAudit(db.kv.atomic().delete(banKey(path, uid)), audit).commit();
  db.changes.emit({ kind: "chat", path, op: "ban", uid });
}

/**
 * Stores new messages (each expires after KEEP_MS) and, in the same operation, deletes `drop` (ids of the
 * oldest messages beyond MAX_MESSAGES). One commit for a batch: the room writes what arrived since its
 * last commit (src/chat/room.ts), so the write rate does not bound the message rate. At most 200
 * messages and 400 deletions per call (KV's limits per atomic operation are far above that). Throws
 * StoreError "conflict" when the commit fails.
 */
export async function putChatMessages(
  db: Store,
  path: string,
  ms: ChatMessage[],
  drop: number[],
): Promise<void> {
  const op = db.kv.atomic();
  for (const m of ms) op.set(["chat_msg", path, m.id], m, { expireIn: KEEP_MS });
  for (const id of drop) op.delete(["chat_msg", path, id]);
  const res = await op.commit();
  if (!res.ok) throw new StoreError("conflict", "the messages could not be stored");
  db.changes.emit({ kind: "chat", path, op: "message" });
}

/** Deletes message `id` (leaving a tombstone for resuming clients), with its audit entry. */
export async function deleteChatMessage(
  db: Store,
  path: string,
  id: number,
  now: number,
  audit?: AuditInput,
): Promise<void> {
  const t: ChatTombstone = { id, at: now };
  const op = db.kv.atomic().delete(["chat_msg", path, id]).set(["chat_del", path, id], t, {
    expireIn: KEEP_MS,
  });
  await withAudit(op, audit).commit();
  db.changes.emit({ kind: "chat", path, op: "delete" });
}

/** Clears every message up to id `through`, with its audit entry. */
export async function clearChat(
  db: Store,
  path: string,
  through: number,
  now: number,
  audit?: AuditInput,
): Promise<void> {
  const op = db.kv.atomic().set(["chat_clear", path], { through, at: now } satisfies ChatClear, {
    expireIn: KEEP_MS,
  });
  for await (const e of db.kv.list({ prefix: ["chat_msg", path] }, { limit: MAX_MESSAGES * 2 })) {
    if ((e.key[2] as number) <= through) op.delete(e.key);
  }
  await withAudit(op, audit).commit();
  db.changes.emit({ kind: "chat", path, op: "clear" });
}

/**
 * What a room starts from: the kept messages newer than `now - KEEP_MS` (oldest first, at most
 * MAX_MESSAGES), the tombstones and the last clear.
 */
export async function loadChat(
  db: Store,
  path: string,
  now: number,
): Promise<{ messages: ChatMessage[]; deleted: ChatTombstone[]; clear: ChatClear | null }> {
  const messages: ChatMessage[] = [];
  // expireIn deletes lazily: filter by time as well.
  for await (
    const e of db.kv.list<ChatMessage>({ prefix: ["chat_msg", path] }, { reverse: true, limit: MAX_MESSAGES })
  ) {
    if (e.value.at > now - KEEP_MS) messages.push(e.value);
  }
  messages.reverse();
  const deleted: ChatTombstone[] = [];
  for await (const e of db.kv.list<ChatTombstone>({ prefix: ["chat_del", path] })) {
    if (e.value.at > now - KEEP_MS) deleted.push(e.value);
  }
  const c = (await db.kv.get<ChatClear>(["chat_clear", path])).value;
  return { messages, deleted, clear: c && c.at > now - KEEP_MS ? c : null };
}

/** The HMAC key for guests' ids (random, made once and kept in KV; memoised for the store's lifetime). */
export function chatGuestKey(db: Store): Promise<CryptoKey> {
  let p = db.memo.get("chat.guestkey") as Promise<CryptoKey> | undefined;
  if (!p) {
    p = (async () => {
      let raw = (await db.kv.get<string>(["chat_key"])).value;
      if (!raw) {
        const fresh = b64encode(crypto.getRandomValues(new Uint8Array(32)));
        await db.kv.atomic().check({ key: ["chat_key"], versionstamp: null }).set(["chat_key"], fresh)
          .commit();
        raw = (await db.kv.get<string>(["chat_key"])).value!;
      }
      return await crypto.subtle.importKey(
        "raw",
        b64decode(raw) as Uint8Array<ArrayBuffer>,
        { name: "HMAC", hash: "SHA-256" },
        false,
        ["sign"],
      );
    })();
    p.catch(() => db.memo.delete("chat.guestkey"));
    db.memo.set("chat.guestkey", p);
  }
  return p;
}

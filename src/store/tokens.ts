// Personal API tokens (`Authorization: Bearer lgt_…` on /api/*): random, shown once, stored only as their
// SHA-256. ["api_tokens", user, id] -> ApiToken and ["api_token_hash", sha256] -> {user, id}. A token
// carries the `created` time of the user it was made for: a user deleted and created again under the same
// name does not inherit the old tokens. Every write announces a "token" change (src/core/changes.ts).
import { StoreError } from "../core/errors.ts";
import { randomToken, sha256Hex } from "../core/crypto.ts";
import type { Store } from "./kv.ts";
import { type AuditInput, withAudit } from "./audit.ts";
import { checkText } from "./text.ts";
import { getUser } from "./users.ts";

/** What a token may be used for (src/auth/permissions.ts tokenScopeDenial maps them to actions). */
export type TokenScope = "read" | "streams" | "admin";
export const TOKEN_SCOPES: TokenScope[] = ["read", "streams", "admin"];

/** Longest lifetime of an API token: 400 days (in seconds). */
export const MAX_TOKEN_TTL_S = 400 * 86400;
/** The prefix of every API token (so a leaked one is recognisable in logs and secret scanners). */
export const TOKEN_PREFIX = "lgt_";

export interface ApiToken {
  id: string;
  user: string;
  /** The user's `created` when the token was made (a re-created user of that name gets nothing). */
  userCreated: number;
  name: string;
  scopes: TokenScope[];
  hash: string;
  /** ms since the epoch. */
  created: number;
  /** ms since the epoch. */
  expiresAt: number;
  /** ms since the epoch; written at most once a minute (touchToken). */
  lastUsed?: number;
}

/** Checks a scope list (array or comma-separated string). Throws StoreError "invalid". */
export function validateScopes(v: unknown): TokenScope[] {
  const items = Array.isArray(v) ? v : typeof v === "string" ? v.split(",").map((s) => s.trim()) : null;
  if (!items || items.length === 0) {
    throw new StoreError("invalid", `scopes must be a non-empty list of ${TOKEN_SCOPES.join(", ")}`);
  }
  const out: TokenScope[] = [];
  for (const s of items) {
    if (!TOKEN_SCOPES.includes(s as TokenScope)) {
      throw new StoreError(
        "invalid",
        `unknown scope '${String(s).slice(0, 32)}'; use ${TOKEN_SCOPES.join(", ")}`,
      );
    }
    if (!out.includes(s as TokenScope)) out.push(s as TokenScope);
  }
  return out;
}

/**
 * "30d", "12h", "90m", "3600" (seconds) or a number of seconds -> seconds, 60 s to MAX_TOKEN_TTL_S.
 * Throws StoreError "invalid".
 */
export function parseTokenTtl(v: unknown, def = 30 * 86400): number {
  if (v === undefined || v === null || v === "") return def;
  const m = typeof v === "number"
    ? [String(v), String(v), ""]
    : /^(\d{1,9})\s*([smhd]?)$/.exec(String(v).trim());
  const n = m ? Number(m[1]) * { "": 1, s: 1, m: 60, h: 3600, d: 86400 }[m[2] as "" | "s"]! : NaN;
  if (!Number.isInteger(n) || n < 60 || n > MAX_TOKEN_TTL_S) {
    throw new StoreError("invalid", "expiry must be 60 s to 400 days (e.g. 3600, 90m, 12h, 30d)");
  }
  return n;
}

/**
 * Creates a token for `user` (must exist). `ttlS` in seconds. Returns the secret (shown once) and the
 * record. Throws StoreError: invalid (name, scopes), not_found (user), conflict (the user changed).
 */
export async function createToken(
  db: Store,
  user: string,
  opts: { name: unknown; scopes: TokenScope[]; ttlS: number; audit?: AuditInput; now?: number },
): Promise<{ token: string; meta: ApiToken }> {
  const name = checkText(opts.name, "token name", 64, 1);
  const scopes = validateScopes(opts.scopes);
  const u = await db.kv.get<{ created: number }>(["users", user]);
  if (!u.value) throw new StoreError("not_found", `no user '${user}'`);
  const now = opts.now ?? Date.now();
  const token = `${TOKEN_PREFIX}${randomToken(32)}`;
  const meta: ApiToken = {
    id: randomToken(6),
    user,
    userCreated: u.value.created,
    name,
    scopes,
    hash: await sha256Hex(token),
    created: now,
    expiresAt: now + opts.ttlS * 1000,
  };
  const op = db.kv.atomic().check(u)
    .set(["api_tokens", user, meta.id], meta)
    .set(["api_token_hash", meta.hash], { user, id: meta.id });
  if (!(await withAudit(op, opts.audit).commit()).ok) {
    throw new StoreError("conflict", "the user changed meanwhile; try again");
  }
  db.changes.emit({ kind: "token", user, id: meta.id, op: "create" });
  return { token, meta };
}

/** The tokens of `user` (all users' without), newest first; records without their hash. */
export async function listTokens(db: Store, user?: string): Promise<Omit<ApiToken, "hash">[]> {
  const out: Omit<ApiToken, "hash">[] = [];
  for await (const e of db.kv.list<ApiToken>({ prefix: user ? ["api_tokens", user] : ["api_tokens"] })) {
    const { hash: _h, ...t } = e.value;
    out.push(t);
  }
  return out.sort((a, b) => b.created - a.created);
}

/**
 * Revokes token `id` of `user` (any user's when `user` is null, e.g. the CLI). Takes effect at once: the
 * next request with it is looked up and not found. Throws StoreError not_found.
 */
export async function revokeToken(
  db: Store,
  user: string | null,
  id: string,
  audit?: AuditInput,
): Promise<ApiToken> {
  if (typeof id !== "string" || id.length > 64) throw new StoreError("not_found", "no such token");
  for (let attempt = 0; attempt < 5; attempt++) {
    let found: Deno.KvEntry<ApiToken> | null = null;
    if (user) {
      const e = await db.kv.get<ApiToken>(["api_tokens", user, id]);
      if (e.value) found = e as Deno.KvEntry<ApiToken>;
    } else {
      for await (const e of db.kv.list<ApiToken>({ prefix: ["api_tokens"] })) {
        if (e.value.id === id) found = e;
      }
    }
    if (!found) break;
    const op = db.kv.atomic().check(found).delete(found.key).delete(["api_token_hash", found.value.hash]);
    if ((await withAudit(op, audit).commit()).ok) {
      db.changes.emit({ kind: "token", user: found.value.user, id, op: "revoke" });
      return found.value;
    }
  }
  throw new StoreError("not_found", `no token with id '${String(id).slice(0, 64)}'`);
}

/**
 * The live record of a presented token, or why it is refused: "invalid" (unknown or revoked), "expired",
 * "user" (its user is gone, re-created or disabled). Looked up by SHA-256 (timing does not depend on how
 * much of a guess matches). `now` in ms.
 */
export async function findToken(
  db: Store,
  presented: string,
  now = Date.now(),
): Promise<{ token: ApiToken } | { refused: "invalid" | "expired" | "user" }> {
  if (!presented.startsWith(TOKEN_PREFIX) || presented.length > 128) return { refused: "invalid" };
  const hash = await sha256Hex(presented);
  const ref = await db.kv.get<{ user: string; id: string }>(["api_token_hash", hash]);
  if (!ref.value) return { refused: "invalid" };
  const t = (await db.kv.get<ApiToken>(["api_tokens", ref.value.user, ref.value.id])).value;
  if (!t) return { refused: "invalid" };
  if (t.expiresAt <= now) return { refused: "expired" };
  const u = await getUser(db, t.user);
  if (!u || u.disabled || u.created !== t.userCreated) return { refused: "user" };
  return { token: t };
}

/** Minimum time between two lastUsed writes of a token (ms). */
export const TOKEN_TOUCH_EVERY_MS = 60_000;

/** Records a token's last use (best effort, at most once per TOKEN_TOUCH_EVERY_MS; never revives one). */
export async function touchToken(db: Store, t: ApiToken, now = Date.now()): Promise<void> {
  if (t.lastUsed !== undefined && now - t.lastUsed < TOKEN_TOUCH_EVERY_MS) return;
  const cur = await db.kv.get<ApiToken>(["api_tokens", t.user, t.id]);
  if (!cur.value) return;
  await db.kv.atomic().check(cur).set(cur.key, { ...cur.value, lastUsed: now }).commit().catch(() => {});
}

// Set-password links: an admin invites a new user (or lets one reset a forgotten password) with a link
// instead of passing a password on by hand. ["password_links", sha256(token)] -> PasswordLink, expiring by
// itself (expireIn) and used once; a new link for a user replaces the older one (["user_password_link",
// user] points at the current one). Only the token's SHA-256 is stored.
import { StoreError } from "../core/errors.ts";
import { randomToken, sha256Hex } from "../core/crypto.ts";
import { validatePassword } from "../core/password.ts";
import type { Store } from "./kv.ts";
import { type AuditInput, withAudit } from "./audit.ts";
import { getUser, setPassword } from "./users.ts";

export interface PasswordLink {
  user: string;
  /** ms since the epoch. */
  created: number;
  expiresAt: number;
}

/** How long a set-password link works: 7 days. */
export const PASSWORD_LINK_TTL_MS = 7 * 24 * 3600_000;
/** The shape of a link token (32 random bytes, base64url). */
const TOKEN_RE = /^[A-Za-z0-9_-]{43}$/;

/**
 * A new set-password link token for an existing user, valid `ttlMs` (default 7 days); the user's previous
 * link stops working. Throws StoreError "not_found" for an unknown user.
 */
export async function createPasswordLink(
  db: Store,
  user: string,
  now: number,
  ttlMs = PASSWORD_LINK_TTL_MS,
  audit?: AuditInput,
): Promise<{ token: string; expiresAt: number }> {
  if (!await getUser(db, user)) throw new StoreError("not_found", `no user '${user}'`);
  const token = randomToken(32);
  const id = await sha256Hex(token);
  const link: PasswordLink = { user, created: now, expiresAt: now + ttlMs };
  const prev = (await db.kv.get<string>(["user_password_link", user])).value;
  const op = db.kv.atomic().set(["password_links", id], link, { expireIn: ttlMs })
    .set(["user_password_link", user], id, { expireIn: ttlMs });
  if (prev) op.delete(["password_links", prev]);
  await withAudit(op, audit).commit();
  return { token, expiresAt: link.expiresAt };
}

/** The link a token opens, or null when it is malformed, unknown, used, replaced or expired. */
export async function peekPasswordLink(db: Store, token: string, now: number): Promise<PasswordLink | null> {
  if (!TOKEN_RE.test(token)) return null;
  const link = (await db.kv.get<PasswordLink>(["password_links", await sha256Hex(token)])).value;
  return link && link.expiresAt > now ? link : null;
}

/**
 * Sets the password through a link and uses the link up (once only, also when two requests race). Ends the
 * user's other sessions (setPassword). Returns the user's name. Throws StoreError "invalid" for a weak
 * password (the link stays usable) and "not_found" when the link does not work (any more).
 */
export async function redeemPasswordLink(
  db: Store,
  token: string,
  password: string,
  now: number,
  audit?: AuditInput,
): Promise<string> {
  const bad = validatePassword(password);
  if (bad) throw new StoreError("invalid", bad);
  const gone = () => new StoreError("not_found", "this link has expired or was already used");
  if (!TOKEN_RE.test(token)) throw gone();
  const id = await sha256Hex(token);
  const e = await db.kv.get<PasswordLink>(["password_links", id]);
  if (!e.value || e.value.expiresAt <= now) throw gone();
  const used = await db.kv.atomic().check(e).delete(["password_links", id])
    .delete(["user_password_link", e.value.user]).commit();
  if (!used.ok) throw gone();
  await setPassword(db, e.value.user, password, audit);
  return e.value.user;
}

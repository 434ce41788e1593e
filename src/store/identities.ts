// Accounts at OpenID Connect providers linked to livegate users, and sign-ins in progress.
//   ["identities", provider, sub] -> Identity         (who a provider's subject is here)
//   ["user_identities", user, provider, sub] -> true   (a user's links, for listing)
//   ["oidc_tx", state] -> OidcTransaction              (one sign-in in progress; expires after 10 min;
//                                                       taken once, so a replayed callback finds nothing)
//   ["oidc_sessions", session id] -> {provider, idToken} (for the provider's end-session endpoint at logout)
// An identity records the `created` time of its user: a user deleted and created again under the same name
// is not signed into through an old link.
import { StoreError } from "../core/errors.ts";
import type { Store } from "./kv.ts";
import { type AuditInput, withAudit } from "./audit.ts";

export interface Identity {
  provider: string;
  sub: string;
  user: string;
  userCreated: number;
  /** true: the account was created by this sign-in, and its role follows the provider's claims. */
  managed: boolean;
  linked: number;
}

export interface OidcTransaction {
  provider: string;
  codeVerifier: string;
  nonce: string;
  /** Where to go afterwards (a local path). */
  next: string;
  /** Set when a logged-in user links their account (instead of signing in). */
  linkUser?: string;
  created: number;
}

/** How long a sign-in may take at the provider (ms). */
export const OIDC_TX_TTL_MS = 10 * 60_000;

export async function saveTransaction(db: Store, state: string, tx: OidcTransaction): Promise<void> {
  await db.kv.set(["oidc_tx", state], tx, { expireIn: OIDC_TX_TTL_MS });
}

/** The transaction of `state`, deleted in the same step (single use); null when unknown, used or expired. */
export async function takeTransaction(
  db: Store,
  state: string,
  now = Date.now(),
): Promise<OidcTransaction | null> {
  if (typeof state !== "string" || state.length === 0 || state.length > 128) return null;
  const e = await db.kv.get<OidcTransaction>(["oidc_tx", state]);
  if (!e.value) return null;
  const res = await db.kv.atomic().check(e).delete(e.key).commit();
  if (!res.ok) return null; // taken by a parallel request
  return now - e.value.created <= OIDC_TX_TTL_MS ? e.value : null;
}

/** The identity of `sub` at `provider`, when its user still is the one it was linked to. */
export async function findIdentity(db: Store, provider: string, sub: string): Promise<Identity | null> {
  const e = await db.kv.get<Identity>(["identities", provider, sub]);
  if (!e.value) return null;
  const u = await db.kv.get<{ created: number }>(["users", e.value.user]);
  return u.value && u.value.created === e.value.userCreated ? e.value : null;
}

/**
 * Links `sub` at `provider` to `user` (must exist). Throws StoreError conflict when that account is
 * already linked to another user (still existing), not_found without the user.
 */
export async function linkIdentity(
  db: Store,
  provider: string,
  sub: string,
  user: string,
  managed: boolean,
  audit?: AuditInput,
): Promise<Identity> {
  const u = await db.kv.get<{ created: number }>(["users", user]);
  if (!u.value) throw new StoreError("not_found", `no user '${user}'`);
  const cur = await db.kv.get<Identity>(["identities", provider, sub]);
  const live = cur.value ? await findIdentity(db, provider, sub) : null;
  if (live && live.user !== user) {
    throw new StoreError("conflict", `this ${provider} account is already linked to another user`);
  }
  const id: Identity = { provider, sub, user, userCreated: u.value.created, managed, linked: Date.now() };
  const op = db.kv.atomic().check(u).check(cur).set(["identities", provider, sub], id)
    .set(["user_identities", user, provider, sub], true);
  if (!(await withAudit(op, audit).commit()).ok) {
    throw new StoreError("conflict", "changed meanwhile; try again");
  }
  db.changes.emit({ kind: "user", name: user, op: "update" });
  return id;
}

/** The providers `user` is linked to (live links only). */
export async function userIdentities(db: Store, user: string): Promise<Identity[]> {
  const out: Identity[] = [];
  for await (const e of db.kv.list({ prefix: ["user_identities", user] })) {
    const i = await findIdentity(db, e.key[2] as string, e.key[3] as string);
    if (i && i.user === user) out.push(i);
  }
  return out;
}

/** Remembers the ID token of an SSO session (for logout at the provider), as long as the session lives. */
export async function saveOidcSession(
  db: Store,
  sessionId: string,
  v: { provider: string; idToken: string },
  ttlMs: number,
): Promise<void> {
  await db.kv.set(["oidc_sessions", sessionId], v, { expireIn: ttlMs });
}

/** Takes (reads and deletes) the SSO record of a session; null for a local login. */
export async function takeOidcSession(
  db: Store,
  sessionId: string,
): Promise<{ provider: string; idToken: string } | null> {
  const e = await db.kv.get<{ provider: string; idToken: string }>(["oidc_sessions", sessionId]);
  if (!e.value) return null;
  await db.kv.delete(e.key);
  return e.value;
}

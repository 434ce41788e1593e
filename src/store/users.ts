// Users in KV: ["users", name] -> User. Passwords are stored as PBKDF2 hashes only.
import { StoreError } from "../core/errors.ts";
import { hashPassword, validatePassword } from "../core/password.ts";
import { NAME_RE, type Store } from "./kv.ts";
import { type AuditInput, withAudit } from "./audit.ts";
import { allowDeleted, type Stream } from "./streams.ts";
import { devicePrefix } from "./devices.ts";
import { creatorRevKey } from "./shares.ts";

export type Role = "admin" | "streamer" | "viewer";
export const ROLES: Role[] = ["admin", "streamer", "viewer"];

export interface User {
  name: string;
  role: Role;
  passwordHash: string;
  created: number;
  disabled?: boolean;
}

export function validateUserName(name: string): void {
  if (!NAME_RE.test(name)) {
    throw new StoreError(
      "invalid",
      "user name must be 1-64 letters, digits, '_', '-' or '.', not starting with '.' or '-'",
    );
  }
}

export async function getUser(db: Store, name: string): Promise<User | null> {
  const kv = db.kv;
  if (!NAME_RE.test(name)) return null;
  return (await kv.get<User>(["users", name])).value;
}

export async function listUsers(db: Store): Promise<User[]> {
  const kv = db.kv;
  const out: User[] = [];
  for await (const e of kv.list<User>({ prefix: ["users"] })) out.push(e.value);
  return out;
}

export async function countUsers(db: Store): Promise<number> {
  const kv = db.kv;
  let n = 0;
  for await (const _ of kv.list({ prefix: ["users"] }, { limit: 1 })) n++;
  return n;
}

export async function addUser(
  db: Store,
  name: string,
  password: string,
  role: Role,
  audit?: AuditInput,
): Promise<User> {
  const kv = db.kv;
  if (typeof name !== "string") throw new StoreError("invalid", "user name must be a string");
  validateUserName(name);
  if (!ROLES.includes(role)) throw new StoreError("invalid", `role must be one of ${ROLES.join(", ")}`);
  const bad = validatePassword(password);
  if (bad) throw new StoreError("invalid", bad);
  const user: User = { name, role, passwordHash: await hashPassword(password), created: Date.now() };
  const op = kv.atomic().check({ key: ["users", name], versionstamp: null }).set(["users", name], user);
  const res = await withAudit(op, audit).commit();
  if (!res.ok) throw new StoreError("conflict", `user '${name}' already exists`);
  db.changes.emit({ kind: "user", name, op: "create" });
  return user;
}

/**
 * Sets a new password and, in the same transaction, ends the user's sessions (a reset is often done
 * because the old password leaked) — all but `keepSessionId` (the caller's own, when users change theirs) —
 * and forgets all their known devices (devices.ts; each browser gets a new one at its next login).
 */
export async function setPassword(
  db: Store,
  name: string,
  password: string,
  audit?: AuditInput,
  keepSessionId?: string,
): Promise<void> {
  const kv = db.kv;
  if (typeof password !== "string") throw new StoreError("invalid", "password must be a string");
  const bad = validatePassword(password);
  if (bad) throw new StoreError("invalid", bad);
  const hash = await hashPassword(password);
  for (;;) {
    const cur = await kv.get<User>(["users", name]);
    if (!cur.value) throw new StoreError("not_found", `no user '${name}'`);
    const op = kv.atomic().check(cur).set(["users", name], { ...cur.value, passwordHash: hash });
    for await (const s of kv.list({ prefix: ["user_sessions", name] })) {
      if (s.key[2] === keepSessionId) continue;
      op.delete(s.key).delete(["sessions", s.key[2] as string]);
    }
    // Known devices are exempt from the per-user login limit: none survives a password change.
    for await (const d of kv.list({ prefix: devicePrefix(name) })) op.delete(d.key);
    const res = await withAudit(op, audit).commit();
    if (res.ok) break;
  }
  db.changes.emit({ kind: "user", name, op: "password" });
}

export interface UserPatch {
  role?: Role;
  disabled?: boolean;
}

export function validateUserPatch(p: Record<string, unknown>): UserPatch {
  const out: UserPatch = {};
  if (p.role !== undefined) {
    if (!ROLES.includes(p.role as Role)) {
      throw new StoreError("invalid", `role must be one of ${ROLES.join(", ")}`);
    }
    out.role = p.role as Role;
  }
  if (p.disabled !== undefined) {
    if (typeof p.disabled !== "boolean") throw new StoreError("invalid", "disabled must be true or false");
    out.disabled = p.disabled;
  }
  return out;
}

/**
 * Changes role / disabled. With `version` (the versionstamp the caller read) a concurrent change gives 409;
 * without it the patch is applied to the fresh record. Disabling a user also ends their sessions.
 */
export async function updateUser(
  db: Store,
  name: string,
  patch: UserPatch,
  opts: { version?: string; audit?: AuditInput } = {},
): Promise<{ user: User; version: string }> {
  const kv = db.kv;
  for (let attempt = 0; attempt < 20; attempt++) {
    const cur = await kv.get<User>(["users", name]);
    if (!cur.value) throw new StoreError("not_found", `no user '${name}'`);
    if (opts.version && opts.version !== cur.versionstamp) {
      throw new StoreError("conflict", `user '${name}' was changed by someone else; reload and try again`);
    }
    const next: User = { ...cur.value, ...patch };
    if (!next.disabled) delete next.disabled;
    const op = kv.atomic().check(cur).set(["users", name], next);
    if (patch.disabled) {
      for await (const s of kv.list({ prefix: ["user_sessions", name] })) {
        op.delete(s.key).delete(["sessions", s.key[2] as string]);
      }
    }
    const res = await withAudit(op, opts.audit).commit();
    if (res.ok) {
      db.changes.emit({ kind: "user", name, op: "update" });
      return { user: next, version: res.versionstamp };
    }
    if (opts.version) {
      throw new StoreError("conflict", `user '${name}' was changed by someone else; reload and try again`);
    }
  }
  throw new StoreError("conflict", `user '${name}' is being changed by others; try again`);
}

export async function getUserEntry(db: Store, name: string): Promise<Deno.KvEntryMaybe<User>> {
  const kv = db.kv;
  // A name no user can have is not looked up (a very long one would exceed KV's key size: a 500).
  if (!NAME_RE.test(name)) return { key: ["users", name], value: null, versionstamp: null };
  return await kv.get<User>(["users", name]);
}

/**
 * Deletes a user and, in the same transaction, their sessions, known devices, share links and the stream
 * keys they created; streams they
 * owned lose their owner (admins only from then on), and their name on viewer allow-lists becomes
 * "deleted:NAME" (streams.ts allowDeleted: no access for a later user of that name, no list left empty).
 */
export async function deleteUser(db: Store, name: string, audit?: AuditInput): Promise<void> {
  const kv = db.kv;
  for (let attempt = 0; attempt < 10; attempt++) {
    const cur = await kv.get<User>(["users", name]);
    if (!cur.value) throw new StoreError("not_found", `no user '${name}'`);
    const op = kv.atomic().check(cur).delete(["users", name]);
    for await (const s of kv.list({ prefix: ["user_sessions", name] })) {
      op.delete(s.key).delete(["sessions", s.key[2] as string]);
    }
    for await (const d of kv.list({ prefix: devicePrefix(name) })) op.delete(d.key);
    // Their share links: invalid anyway without them (permissions.ts), and must not come back for a new
    // user created later with the same name. A link they create meanwhile fails this commit (tried again).
    op.check(await kv.get(creatorRevKey(name))).delete(creatorRevKey(name));
    for await (const sh of kv.list<{ createdBy?: string }>({ prefix: ["shares"] })) {
      if (sh.value.createdBy === name) op.delete(sh.key);
    }
    for await (const ref of kv.list<string>({ prefix: ["user_keys", name] })) {
      const id = ref.key[2] as string;
      const k = await kv.get<{ hash: string }>(["keys", ref.value, id]);
      // No checks needed on the keys: creating a key checks its owner's record (deleted here), and
      // touching one checks the key (so a deleted key is never written back). Keeps the op within limits.
      op.delete(ref.key);
      if (k.value) op.delete(k.key).delete(["key_hash", k.value.hash]);
    }
    for await (const st of kv.list<Stream>({ prefix: ["streams"] })) {
      const owner = st.value.owner === name ? null : st.value.owner;
      const before = st.value.allow ?? [];
      const allow = allowDeleted(before, name);
      if (owner !== st.value.owner || allow !== before) {
        op.check(st).set(st.key, { ...st.value, owner, allow });
      }
    }
    const res = await withAudit(op, audit).commit();
    if (res.ok) {
      db.changes.emit({ kind: "user", name, op: "delete" });
      return;
    }
  }
  throw new StoreError("conflict", `user '${name}' changed meanwhile; try again`);
}

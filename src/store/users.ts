// Users in KV: ["users", name] -> User. Passwords are stored as PBKDF2 hashes only.
import { hashPassword, validatePassword } from "../auth/password.ts";
import { NAME_RE } from "./kv.ts";

export type Role = "admin" | "streamer" | "viewer";
export const ROLES: Role[] = ["admin", "streamer", "viewer"];

export interface User {
  name: string;
  role: Role;
  passwordHash: string;
  created: number;
  disabled?: boolean;
}

export class UserError extends Error {
  constructor(readonly status: 400 | 404 | 409, message: string) {
    super(message);
  }
}

export function validateUserName(name: string): void {
  if (!NAME_RE.test(name)) {
    throw new UserError(
      400,
      "user name must be 1-64 letters, digits, '_', '-' or '.', not starting with '.' or '-'",
    );
  }
}

export async function getUser(kv: Deno.Kv, name: string): Promise<User | null> {
  if (!NAME_RE.test(name)) return null;
  return (await kv.get<User>(["users", name])).value;
}

export async function listUsers(kv: Deno.Kv): Promise<User[]> {
  const out: User[] = [];
  for await (const e of kv.list<User>({ prefix: ["users"] })) out.push(e.value);
  return out;
}

export async function countUsers(kv: Deno.Kv): Promise<number> {
  let n = 0;
  for await (const _ of kv.list({ prefix: ["users"] }, { limit: 1 })) n++;
  return n;
}

export async function addUser(kv: Deno.Kv, name: string, password: string, role: Role): Promise<User> {
  validateUserName(name);
  if (!ROLES.includes(role)) throw new UserError(400, `role must be one of ${ROLES.join(", ")}`);
  const bad = validatePassword(password);
  if (bad) throw new UserError(400, bad);
  const user: User = { name, role, passwordHash: await hashPassword(password), created: Date.now() };
  const res = await kv.atomic().check({ key: ["users", name], versionstamp: null }).set(["users", name], user)
    .commit();
  if (!res.ok) throw new UserError(409, `user '${name}' already exists`);
  return user;
}

export async function setPassword(kv: Deno.Kv, name: string, password: string): Promise<void> {
  const bad = validatePassword(password);
  if (bad) throw new UserError(400, bad);
  const hash = await hashPassword(password);
  for (;;) {
    const cur = await kv.get<User>(["users", name]);
    if (!cur.value) throw new UserError(404, `no user '${name}'`);
    const res = await kv.atomic().check(cur).set(["users", name], { ...cur.value, passwordHash: hash })
      .commit();
    if (res.ok) break;
  }
}

export async function deleteUser(kv: Deno.Kv, name: string): Promise<void> {
  const cur = await kv.get<User>(["users", name]);
  if (!cur.value) throw new UserError(404, `no user '${name}'`);
  const op = kv.atomic().check(cur).delete(["users", name]);
  // Revoke every session of the user in the same transaction.
  for await (const s of kv.list({ prefix: ["user_sessions", name] })) {
    op.delete(s.key).delete(["sessions", s.key[2] as string]);
  }
  const res = await op.commit();
  if (!res.ok) throw new UserError(409, `user '${name}' changed meanwhile; try again`);
}

// Streams as first-class records: ["streams", path] -> Stream (title, visibility, owner, viewer allow-list).
// A path without a record (never registered, or deleted) is watchable by admins only (permissions.ts).
// Every write is an atomic operation with a check on the version read, so concurrent edits never get lost:
// a caller passing `version` gets 409 when the record changed since it read it; without `version` the
// field-wise patch is retried on the fresh record.
import { StoreError } from "../core/errors.ts";
import { NAME_RE, type Store } from "./kv.ts";
import { type AuditInput, withAudit } from "./audit.ts";
import { checkText } from "./text.ts";

export type Visibility = "private" | "public" | "unlisted";
export const VISIBILITIES: Visibility[] = ["private", "public", "unlisted"];

export interface Stream {
  path: string;
  title: string;
  visibility: Visibility;
  /** The streamer who may publish and manage keys; null: admins only. */
  owner: string | null;
  /**
   * Optional viewer allow-list (user names); empty: every logged-in user. A user's deletion turns their
   * name into "deleted:NAME" (allowDeleted), which matches nobody: a list never opens up to everyone, and
   * a new user given that name later gets no access from it.
   */
  allow: string[];
  created: number;
  /** Recording of this stream: true/false; absent or null: the server's setting (LIVEGATE_RECORD…). */
  record?: boolean | null;
}

/**
 * The revision of a stream's share links: every new link writes it, and a change that removes all links
 * (a visibility change, deleting the stream) checks it, so a link created at the same moment is not missed.
 */
export const sharesRevKey = (path: string): Deno.KvKey => ["shares_rev", path];

/** Prefix of an allow-list entry left by a deleted user (":" is never part of a user name). */
export const DELETED_PREFIX = "deleted:";

/** The allow-list after user `name` was deleted (the same array when the name is not on it). */
export function allowDeleted(allow: string[], name: string): string[] {
  if (!allow.includes(name)) return allow;
  return [...new Set(allow.map((n) => n === name ? DELETED_PREFIX + name : n))].sort();
}

const isAllowEntry = (n: unknown) =>
  typeof n === "string" && NAME_RE.test(n.startsWith(DELETED_PREFIX) ? n.slice(DELETED_PREFIX.length) : n);

export interface StreamPatch {
  title?: string;
  visibility?: Visibility;
  owner?: string | null;
  allow?: string[];
  /** true/false; null: back to the server's setting. */
  record?: boolean | null;
}

export const DEFAULT_STREAM = (path: string): Stream => ({
  path,
  title: "",
  visibility: "private",
  owner: null,
  allow: [],
  created: 0,
});

export function validateStreamPath(path: unknown): string {
  if (typeof path !== "string" || !NAME_RE.test(path)) {
    throw new StoreError(
      "invalid",
      "stream path must be 1-64 letters, digits, '_', '-' or '.', not starting with '.' or '-'",
    );
  }
  return path;
}

/** Checks the shape of a patch (from JSON); throws 400 with a message naming the field. */
export function validatePatch(p: Record<string, unknown>): StreamPatch {
  const out: StreamPatch = {};
  if (p.title !== undefined) {
    if (typeof p.title !== "string") throw new StoreError("invalid", "title must be a string");
    out.title = checkText(p.title.trim(), "title", 200);
  }
  if (p.visibility !== undefined) {
    if (!VISIBILITIES.includes(p.visibility as Visibility)) {
      throw new StoreError("invalid", `visibility must be one of ${VISIBILITIES.join(", ")}`);
    }
    out.visibility = p.visibility as Visibility;
  }
  if (p.owner !== undefined) {
    if (p.owner !== null && p.owner !== "" && (typeof p.owner !== "string" || !NAME_RE.test(p.owner))) {
      throw new StoreError("invalid", "owner must be a user name or null");
    }
    out.owner = (p.owner as string | null) || null;
  }
  if (p.allow !== undefined) {
    let list = p.allow;
    if (typeof list === "string") list = list.split(/[\s,]+/).filter(Boolean);
    if (
      !Array.isArray(list) || list.length > 1000 ||
      list.some((n) => !isAllowEntry(n))
    ) {
      throw new StoreError("invalid", "allow must be a list of user names (or deleted:NAME)");
    }
    out.allow = [...new Set(list as string[])].sort();
  }
  if (p.record !== undefined) {
    if (p.record !== null && typeof p.record !== "boolean") {
      throw new StoreError("invalid", "record must be true, false or null (the server's setting)");
    }
    out.record = p.record;
  }
  return out;
}

export async function getStream(db: Store, path: string): Promise<Stream | null> {
  const kv = db.kv;
  if (!NAME_RE.test(path)) return null;
  return (await kv.get<Stream>(["streams", path])).value;
}

export async function getStreamEntry(db: Store, path: string) {
  const kv = db.kv;
  return await kv.get<Stream>(["streams", path]);
}

export async function listStreams(db: Store): Promise<Stream[]> {
  const kv = db.kv;
  const out: Stream[] = [];
  for await (const e of kv.list<Stream>({ prefix: ["streams"] })) out.push(e.value);
  return out;
}

async function checkOwner(kv: Deno.Kv, owner: string | null | undefined) {
  if (!owner) return null;
  const u = await kv.get<{ role: string }>(["users", owner]);
  if (!u.value) throw new StoreError("invalid", `owner '${owner}' is not a user`);
  if (u.value.role !== "streamer" && u.value.role !== "admin") {
    throw new StoreError("invalid", `owner '${owner}' must be a streamer or admin`);
  }
  return u;
}

export async function createStream(
  db: Store,
  path: string,
  patch: StreamPatch,
  audit?: AuditInput,
): Promise<Stream> {
  const kv = db.kv;
  validateStreamPath(path);
  const s: Stream = { ...DEFAULT_STREAM(path), ...patch, created: Date.now() };
  const ownerEntry = await checkOwner(kv, s.owner);
  const op = kv.atomic().check({ key: ["streams", path], versionstamp: null }).set(["streams", path], s);
  // The owner must still exist with the same record when the stream is created.
  if (ownerEntry) op.check(ownerEntry);
  const res = await withAudit(op, audit).commit();
  if (!res.ok) {
    if ((await getStream(db, path)) !== null) {
      throw new StoreError("conflict", `stream '${path}' already exists`);
    }
    throw new StoreError("conflict", "the owner changed meanwhile; try again");
  }
  db.changes.emit({ kind: "stream", path, op: "create" });
  return s;
}

/**
 * Changes a stream. A visibility change revokes all its share links in the same transaction (with an audit
 * entry "share.revoke" next to the change's own): links exist only for unlisted streams, so leaving
 * unlisted ends them and switching back later does not revive them (nor any left over from before this
 * rule); `revokedShares` counts them. A share link created meanwhile makes the commit fail and
 * the change is tried again (the links' revision key, sharesRevKey).
 * Throws StoreError: not_found, conflict (with `version`, or after 20 tries).
 */
export async function updateStream(
  db: Store,
  path: string,
  patch: StreamPatch,
  opts: { version?: string; audit?: AuditInput } = {},
): Promise<{ stream: Stream; version: string; revokedShares: number }> {
  const kv = db.kv;
  for (let attempt = 0; attempt < 20; attempt++) {
    const cur = await kv.get<Stream>(["streams", path]);
    if (!cur.value) throw new StoreError("not_found", `no stream '${path}'`);
    if (opts.version && cur.versionstamp !== opts.version) {
      throw new StoreError("conflict", `stream '${path}' was changed by someone else; reload and try again`);
    }
    const next: Stream = { ...cur.value, ...patch };
    const ownerEntry = patch.owner !== undefined ? await checkOwner(kv, patch.owner) : null;
    const op = kv.atomic().check(cur).set(["streams", path], next);
    if (ownerEntry) op.check(ownerEntry);
    const revoked: string[] = [];
    if (cur.value.visibility !== next.visibility) {
      op.check(await kv.get(sharesRevKey(path)));
      for await (const e of kv.list({ prefix: ["shares", path] })) {
        op.delete(e.key);
        revoked.push(e.key[2] as string);
      }
      if (revoked.length && opts.audit) {
        withAudit(op, {
          ...opts.audit,
          action: "share.revoke",
          target: path,
          detail: `${revoked.length} link(s): visibility ${cur.value.visibility} -> ${next.visibility}`,
        });
      }
    }
    const res = await withAudit(op, opts.audit).commit();
    if (res.ok) {
      db.changes.emit({ kind: "stream", path, op: "update" });
      for (const id of revoked) db.changes.emit({ kind: "share", path, id, op: "revoke" });
      return { stream: next, version: res.versionstamp, revokedShares: revoked.length };
    }
    if (opts.version) {
      // Our version still matches when only a share link was created meanwhile: try again.
      if ((await kv.get(["streams", path])).versionstamp !== opts.version) {
        throw new StoreError(
          "conflict",
          `stream '${path}' was changed by someone else; reload and try again`,
        );
      }
    }
  }
  throw new StoreError("conflict", `stream '${path}' is being changed by others; try again`);
}

/** Deletes the stream with all its keys and share links in one transaction. */
export async function deleteStream(db: Store, path: string, audit?: AuditInput): Promise<void> {
  const kv = db.kv;
  for (let attempt = 0; attempt < 20; attempt++) {
    const cur = await kv.get<Stream>(["streams", path]);
    if (!cur.value) throw new StoreError("not_found", `no stream '${path}'`);
    const op = kv.atomic().check(cur).delete(["streams", path]);
    for await (const k of kv.list<{ id: string; hash: string; owner?: string }>({ prefix: ["keys", path] })) {
      // No check per key: creating a key checks the stream record (deleted here), so none can slip in.
      op.delete(k.key).delete(["key_hash", k.value.hash]);
      if (k.value.owner) op.delete(["user_keys", k.value.owner, k.value.id]);
    }
    // The links' revision: a share link created meanwhile fails this commit (tried again), none is left over.
    op.check(await kv.get(sharesRevKey(path))).delete(sharesRevKey(path));
    for await (const s of kv.list({ prefix: ["shares", path] })) op.delete(s.key);
    // Who may clip it (store/clips.ts): a stream created later under this path starts from the default.
    op.delete(["clip_settings", path]);
    op.delete(["ladder", path]); // its quality-ladder settings (store/ladder.ts)
    const res = await withAudit(op, audit).commit();
    if (res.ok) {
      db.changes.emit({ kind: "stream", path, op: "delete" });
      return;
    }
  }
  throw new StoreError("conflict", `stream '${path}' is being changed by others; try again`);
}

/** Registers `path` as a private stream without owner unless it already exists (keys made from the CLI). */
export async function ensureStream(db: Store, path: string, audit?: AuditInput): Promise<void> {
  if (await getStream(db, path)) return;
  try {
    await createStream(db, path, {}, audit);
  } catch (e) {
    if (!(e instanceof StoreError && e.kind === "conflict")) throw e;
  }
}

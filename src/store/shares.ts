// Share links for unlisted streams: "watch for 24 h without an account". A link carries a signed token
// `<id>.<expiry>.<HMAC>`; the HMAC key is a random secret kept in KV. A token is valid only while its
// signature matches, it has not expired and its record ["shares", path, id] still exists, so deleting the
// record revokes the link at once. Links exist only for unlisted streams: making the stream private or
// public deletes them (streams.ts updateStream). The door also requires the link's creator to still be
// allowed to share the stream (src/auth/permissions.ts shareCreatorDenial).
import type { Store } from "./kv.ts";
import { StoreError } from "../core/errors.ts";
import { b64encode, randomToken, safeEqualString } from "../core/crypto.ts";
import { type AuditInput, withAudit } from "./audit.ts";
import { sharesRevKey, type Stream } from "./streams.ts";
import { checkText } from "./text.ts";

export interface Share {
  id: string;
  path: string;
  label: string;
  created: number;
  expiresAt: number;
  createdBy: string;
}

/**
 * The revision of the links a user created: every new link writes it, and deleting the user (users.ts)
 * checks it, so a link created while its creator is being deleted is not missed.
 */
export const creatorRevKey = (name: string): Deno.KvKey => ["shares_creator_rev", name];

/** Lifetime bounds of a share link, in hours: 1 minute to 30 days. */
export const MIN_SHARE_HOURS = 1 / 60;
export const MAX_SHARE_HOURS = 24 * 30;
const enc = new TextEncoder();

/** The share links' HMAC key: a random secret made once and kept in KV, imported once per store. */
function hmacKey(db: Store): Promise<CryptoKey> {
  let p = db.memo.get("shares.hmac") as Promise<CryptoKey> | undefined;
  if (!p) {
    p = loadHmacKey(db.kv);
    p.catch(() => db.memo.delete("shares.hmac"));
    db.memo.set("shares.hmac", p);
  }
  return p;
}

async function loadHmacKey(kv: Deno.Kv): Promise<CryptoKey> {
  let cur = await kv.get<string>(["meta", "share_secret"]);
  if (!cur.value) {
    await kv.atomic().check({ key: ["meta", "share_secret"], versionstamp: null })
      .set(["meta", "share_secret"], randomToken(32)).commit();
    cur = await kv.get<string>(["meta", "share_secret"]);
  }
  return await crypto.subtle.importKey(
    "raw",
    enc.encode(cur.value!),
    { name: "HMAC", hash: "SHA-256" },
    false,
    [
      "sign",
    ],
  );
}

async function sign(db: Store, path: string, id: string, exp: string): Promise<string> {
  const mac = await crypto.subtle.sign("HMAC", await hmacKey(db), enc.encode(`share|${path}|${id}|${exp}`));
  return b64encode(new Uint8Array(mac)).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

/**
 * A new share link for the unlisted stream `path`, valid for `hours` (MIN_SHARE_HOURS..MAX_SHARE_HOURS, i.e.
 * 1 minute to 720 h). Returns the token (shown once; only its record is kept) and the record.
 * Throws StoreError: invalid (hours, label, stream not unlisted), not_found (stream, creator), conflict.
 */
export async function createShare(
  db: Store,
  path: string,
  opts: { hours: number; label?: string; createdBy: string; audit?: AuditInput },
): Promise<{ token: string; share: Share }> {
  const kv = db.kv;
  const hours = opts.hours;
  if (
    typeof hours !== "number" || !Number.isFinite(hours) || hours < MIN_SHARE_HOURS || hours > MAX_SHARE_HOURS
  ) {
    throw new StoreError(
      "invalid",
      `hours must be a number between 1 minute (${MIN_SHARE_HOURS.toFixed(4)}) and ${MAX_SHARE_HOURS} hours`,
    );
  }
  const label = checkText(opts.label ?? "", "label", 100);
  const stream = await kv.get<Stream>(["streams", path]);
  if (!stream.value) throw new StoreError("not_found", `no stream '${path}'`);
  if (stream.value.visibility !== "unlisted") {
    throw new StoreError("invalid", "share links are for unlisted streams; set visibility to unlisted first");
  }
  // The creator must exist now and not be deleted meanwhile (deleting a user deletes their links).
  const creator = await kv.get(["users", opts.createdBy]);
  if (!creator.value) throw new StoreError("not_found", `no user '${opts.createdBy}'`);
  const now = Date.now();
  const share: Share = {
    id: randomToken(6),
    path,
    label,
    created: now,
    expiresAt: now + Math.round(hours * 3600_000),
    createdBy: opts.createdBy,
  };
  const exp = share.expiresAt.toString(36);
  const token = `${share.id}.${exp}.${await sign(db, path, share.id, exp)}`;
  // The stream must not change meanwhile (e.g. made private); the links' revision tells a concurrent
  // visibility change or delete that a link was added (streams.ts sharesRevKey).
  const op = kv.atomic().check(stream, creator).set(["shares", path, share.id], share, {
    expireIn: share.expiresAt - now,
  }).set(sharesRevKey(path), share.id).set(creatorRevKey(opts.createdBy), share.id);
  const res = await withAudit(op, opts.audit).commit();
  if (!res.ok) {
    throw new StoreError("conflict", "the stream or the link's creator changed meanwhile; try again");
  }
  db.changes.emit({ kind: "share", path, id: share.id, op: "create" });
  return { token, share };
}

export async function listShares(db: Store, path: string): Promise<Share[]> {
  const kv = db.kv;
  const out: Share[] = [];
  const now = Date.now();
  for await (const e of kv.list<Share>({ prefix: ["shares", path] })) {
    if (e.value.expiresAt > now) out.push(e.value);
  }
  return out;
}

export async function revokeShare(db: Store, path: string, id: string, audit?: AuditInput): Promise<void> {
  const kv = db.kv;
  const cur = await kv.get<Share>(["shares", path, id]);
  if (!cur.value) throw new StoreError("not_found", `no share link '${id}' for '${path}'`);
  const res = await withAudit(kv.atomic().check(cur).delete(cur.key), audit).commit();
  if (!res.ok) throw new StoreError("conflict", "the share link changed meanwhile; try again");
  db.changes.emit({ kind: "share", path, id, op: "revoke" });
}

/** The share record when `token` is a valid, unexpired, unrevoked link for `path`; else null. */
export async function verifyShare(
  db: Store,
  path: string,
  token: string | undefined,
): Promise<Share | null> {
  const kv = db.kv;
  if (!token || token.length > 200) return null;
  const m = /^([A-Za-z0-9_-]{1,32})\.([0-9a-z]{1,12})\.([A-Za-z0-9_-]{20,64})$/.exec(token);
  if (!m) return null;
  const [, id, exp, mac] = m;
  if (parseInt(exp, 36) <= Date.now()) return null;
  if (!safeEqualString(mac, await sign(db, path, id, exp))) return null;
  const rec = (await kv.get<Share>(["shares", path, id])).value;
  if (!rec || rec.expiresAt <= Date.now()) return null;
  return rec;
}

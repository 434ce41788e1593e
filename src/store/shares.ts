// Share links for unlisted streams: "watch for 24 h without an account". A link carries a signed token
// `<id>.<expiry>.<HMAC>`; the HMAC key is a random secret kept in KV. A token is valid only while its
// signature matches, it has not expired and its record ["shares", path, id] still exists, so deleting the
// record revokes the link at once.
import { b64encode, randomToken, safeEqualString } from "../auth/bytes.ts";
import { type AuditInput, withAudit } from "./audit.ts";

export interface Share {
  id: string;
  path: string;
  label: string;
  created: number;
  expiresAt: number;
  createdBy: string;
}

export class ShareError extends Error {
  constructor(readonly status: 400 | 404 | 409, message: string) {
    super(message);
  }
}

export const MAX_SHARE_HOURS = 24 * 30;
const enc = new TextEncoder();

const keyCache = new WeakMap<Deno.Kv, CryptoKey>();

async function hmacKey(kv: Deno.Kv): Promise<CryptoKey> {
  const cached = keyCache.get(kv);
  if (cached) return cached;
  let cur = await kv.get<string>(["meta", "share_secret"]);
  if (!cur.value) {
    await kv.atomic().check({ key: ["meta", "share_secret"], versionstamp: null })
      .set(["meta", "share_secret"], randomToken(32)).commit();
    cur = await kv.get<string>(["meta", "share_secret"]);
  }
  const key = await crypto.subtle.importKey(
    "raw",
    enc.encode(cur.value!),
    { name: "HMAC", hash: "SHA-256" },
    false,
    [
      "sign",
    ],
  );
  keyCache.set(kv, key);
  return key;
}

async function sign(kv: Deno.Kv, path: string, id: string, exp: string): Promise<string> {
  const mac = await crypto.subtle.sign("HMAC", await hmacKey(kv), enc.encode(`share|${path}|${id}|${exp}`));
  return b64encode(new Uint8Array(mac)).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

export async function createShare(
  kv: Deno.Kv,
  path: string,
  opts: { hours: number; label?: string; createdBy: string; audit?: AuditInput },
): Promise<{ token: string; share: Share }> {
  const hours = opts.hours;
  if (typeof hours !== "number" || !Number.isFinite(hours) || hours <= 0 || hours > MAX_SHARE_HOURS) {
    throw new ShareError(400, `hours must be a number between 0 and ${MAX_SHARE_HOURS}`);
  }
  const label = opts.label ?? "";
  if (typeof label !== "string" || label.length > 100) {
    throw new ShareError(400, "label must be at most 100 characters");
  }
  const stream = await kv.get(["streams", path]);
  if (!stream.value) throw new ShareError(404, `no stream '${path}'`);
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
  const token = `${share.id}.${exp}.${await sign(kv, path, share.id, exp)}`;
  const op = kv.atomic().check(stream).set(["shares", path, share.id], share, {
    expireIn: share.expiresAt - now,
  });
  const res = await withAudit(op, opts.audit).commit();
  if (!res.ok) throw new ShareError(409, "the stream changed meanwhile; try again");
  return { token, share };
}

export async function listShares(kv: Deno.Kv, path: string): Promise<Share[]> {
  const out: Share[] = [];
  const now = Date.now();
  for await (const e of kv.list<Share>({ prefix: ["shares", path] })) {
    if (e.value.expiresAt > now) out.push(e.value);
  }
  return out;
}

export async function revokeShare(kv: Deno.Kv, path: string, id: string, audit?: AuditInput): Promise<void> {
  const cur = await kv.get<Share>(["shares", path, id]);
  if (!cur.value) throw new ShareError(404, `no share link '${id}' for '${path}'`);
  const res = await withAudit(kv.atomic().check(cur).delete(cur.key), audit).commit();
  if (!res.ok) throw new ShareError(409, "the share link changed meanwhile; try again");
}

/** The share record when `token` is a valid, unexpired, unrevoked link for `path`; else null. */
export async function verifyShare(
  kv: Deno.Kv,
  path: string,
  token: string | undefined,
): Promise<Share | null> {
  if (!token || token.length > 200) return null;
  const m = /^([A-Za-z0-9_-]{1,32})\.([0-9a-z]{1,12})\.([A-Za-z0-9_-]{20,64})$/.exec(token);
  if (!m) return null;
  const [, id, exp, mac] = m;
  if (parseInt(exp, 36) <= Date.now()) return null;
  if (!safeEqualString(mac, await sign(kv, path, id, exp))) return null;
  const rec = (await kv.get<Share>(["shares", path, id])).value;
  if (!rec || rec.expiresAt <= Date.now()) return null;
  return rec;
}

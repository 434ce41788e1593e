// Edge tokens: the signed path prefix of edge delivery, `/e/<token>/<path>/<file>`. A token is
// `<exp>.<viewer>.<sig>`: `exp` the expiry (Unix seconds), `viewer` an optional viewer id (letters, digits,
// '_', '-'; at most 24), `sig` = base64url (no padding) of HMAC-SHA256(secret, "lgedge1/<path>/<exp>/<viewer>").
// The stream path is signed but travels in the URL after the token, so every relative URI of MediaMTX's
// playlists (variant playlists, init, parts, segments) resolves under the same prefix and carries the
// token without rewriting. Anyone holding the secret checks a token without livegate's database: the nginx
// edge (deploy/nginx-edge.js), CDN edge code (README "Scaling out"), livegate's own /e/ route and the
// replica hook. Signed and verified with WebCrypto (crypto.subtle), compared in constant time by it.
import { join } from "node:path";

/** Characters allowed in a viewer id. */
export const VIEWER_RE = /^[A-Za-z0-9_-]{0,24}$/;
const TOKEN_RE = /^(\d{1,12})\.([A-Za-z0-9_-]{0,24})\.([A-Za-z0-9_-]{43})$/;
const enc = new TextEncoder();

/** Why a token was refused (always answered as 403 by the routes; the reason goes to tests and logs). */
export type TokenRefusal = "malformed" | "expired" | "bad signature";

export type Verified = { ok: true; exp: number; viewer: string } | { ok: false; reason: TokenRefusal };

function b64url(bytes: Uint8Array): string {
  let s = "";
  for (const b of bytes) s += String.fromCharCode(b);
  return btoa(s).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

function fromB64url(s: string): Uint8Array<ArrayBuffer> | null {
  try {
    const bin = atob(s.replace(/-/g, "+").replace(/_/g, "/") + "=".repeat((4 - s.length % 4) % 4));
    return Uint8Array.from(bin, (c) => c.charCodeAt(0));
  } catch {
    return null;
  }
}

/** The signed message of a token (what the edges compute too). */
export const signedText = (path: string, exp: number, viewer: string) => `lgedge1/${path}/${exp}/${viewer}`;

/**
 * The edge secret: LIVEGATE_EDGE_SECRET, or DATA_DIR/edge.secret, created on first use (32 random bytes,
 * base64url, mode 0600) so the operator can copy it to the edges. Read lazily: nothing is written until
 * edge delivery or a replica is used.
 */
export class EdgeSecret {
  #value: string | null;
  #key: Promise<CryptoKey> | null = null;

  constructor(readonly configured: string | null, readonly dataDir: string) {
    this.#value = configured;
  }

  /** The file a generated secret lives in. */
  get file(): string {
    return join(this.dataDir, "edge.secret");
  }

  /** The secret (reads or creates the file; throws the file system's error when it cannot). */
  value(): string {
    if (this.#value) return this.#value;
    let v = "";
    try {
      v = Deno.readTextFileSync(this.file).trim();
    } catch (e) {
      if (!(e instanceof Deno.errors.NotFound)) throw e;
    }
    if (v.length < 32) {
      v = b64url(crypto.getRandomValues(new Uint8Array(32)));
      Deno.writeTextFileSync(this.file, v + "\n", { mode: 0o600 });
    }
    this.#value = v;
    return v;
  }

  /** The HMAC-SHA256 key of the secret (WebCrypto). */
  key(): Promise<CryptoKey> {
    return this.#key ??= crypto.subtle.importKey(
      "raw",
      enc.encode(this.value()),
      { name: "HMAC", hash: "SHA-256" },
      false,
      ["sign", "verify"],
    );
  }

  /** base64url HMAC-SHA256 of `text` with the secret. */
  async sign(text: string): Promise<string> {
    return b64url(new Uint8Array(await crypto.subtle.sign("HMAC", await this.key(), enc.encode(text))));
  }

  /** A value derived from the secret for `purpose` (hex, 64 digits): replica credentials, hook URL. */
  async derive(purpose: string): Promise<string> {
    const mac = new Uint8Array(await crypto.subtle.sign("HMAC", await this.key(), enc.encode(purpose)));
    return [...mac].map((b) => b.toString(16).padStart(2, "0")).join("");
  }
}

/**
 * Issues a token for stream `path` valid until `expSeconds` (Unix seconds), for viewer id `viewer` ("" for
 * none). Throws RangeError on a viewer id outside VIEWER_RE.
 */
export async function issueToken(
  secret: EdgeSecret,
  path: string,
  expSeconds: number,
  viewer = "",
): Promise<string> {
  if (!VIEWER_RE.test(viewer)) throw new RangeError("viewer id: letters, digits, '_' and '-', at most 24");
  const exp = Math.floor(expSeconds);
  return `${exp}.${viewer}.${await secret.sign(signedText(path, exp, viewer))}`;
}

/**
 * Checks `token` for stream `path` at time `nowMs` (ms): shape, expiry, then the signature (crypto.subtle
 * verify, constant time). Never throws on bad input.
 */
export async function verifyToken(
  secret: EdgeSecret,
  path: string,
  token: string,
  nowMs: number,
): Promise<Verified> {
  const m = TOKEN_RE.exec(token);
  if (!m) return { ok: false, reason: "malformed" };
  const exp = Number(m[1]);
  const sig = fromB64url(m[3]);
  if (!sig || sig.byteLength !== 32) return { ok: false, reason: "malformed" };
  const good = await crypto.subtle.verify(
    "HMAC",
    await secret.key(),
    sig,
    enc.encode(signedText(path, exp, m[2])),
  );
  if (!good) return { ok: false, reason: "bad signature" };
  if (exp * 1000 <= nowMs) return { ok: false, reason: "expired" };
  return { ok: true, exp, viewer: m[2] };
}

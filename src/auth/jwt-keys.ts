// JWTs that MediaMTX checks by itself (`authMethod: jwt`, `authJWTJWKS: <livegate>/.well-known/jwks.json`):
// livegate's signing keys (ES256, made and used with jose, never by hand), the JWKS it publishes, issuing
// short-lived tokens in MediaMTX's claim format, and key rotation with an overlap.
//
// MediaMTX v1.20.1 (internal/auth/manager.go, jwt_claims.go): the token comes as `Authorization: Bearer`
// (HLS, WebRTC), or `?jwt=` / `?token=` (RTMP, RTSP); it is verified against the JWKS with golang-jwt (exp
// checked; iss / aud only when authJWTIssuer / authJWTAudience are set), and the claim
// `mediamtx_permissions` (authJWTClaimKey) must hold `{action, path}` matching the request. MediaMTX
// fetches the JWKS once and again only every hour (jwksRefreshPeriod) or on POST /v3/auth/jwks/refresh,
// and does not look again for an unknown `kid`. So a key is published one rotation ahead ("next") before
// it signs, and a retired key stays published until the last token it signed has expired (src/store/jwt-keys.ts).
//
// The door decides who may get which token (src/api/jwt.ts asks it: read = "watch", publish = "publish");
// this module only issues. Edge delivery (read replicas) calls `issue` the same way.
import { exportJWK, generateKeyPair, importJWK, type JWK, SignJWT } from "jose";
import type { Clock } from "../core/clock.ts";
import { randomToken } from "../core/crypto.ts";
import { HttpError } from "../core/errors.ts";
import type { AuditInput } from "../store/audit.ts";
import type { Store } from "../store/kv.ts";
import { getKeyRing, type JwtKeyRecord, type JwtKeyRing, putKeyRing } from "../store/jwt-keys.ts";
import type { JwtConfig } from "../config/sso-config.ts";

/** Retired keys kept published at most (see #rotated). */
export const MAX_RETIRED = 8;
/** The claim MediaMTX reads permissions from (its default authJWTClaimKey). */
export const MEDIAMTX_CLAIM = "mediamtx_permissions";
/** The `aud` of every token livegate issues for MediaMTX (set authJWTAudience to it to have it checked). */
export const MEDIAMTX_AUDIENCE = "mediamtx";
/** The actions livegate issues tokens for (MediaMTX's names). */
export type MediaMtxJwtAction = "read" | "publish";
/** A MediaMTX path name: letters, digits, '_', '.', '-', '/' (NOTES.md), 1-255 characters. */
const MTX_PATH_RE = /^[A-Za-z0-9_.\-\/]{1,255}$/;

export interface MediaMtxJwtRequest {
  /** Who the token is for (`sub`; MediaMTX logs it as the user). */
  user: string;
  action: MediaMtxJwtAction;
  /** The MediaMTX path (exactly this one; no patterns). */
  path: string;
  /** Lifetime in seconds, 1 .. the configured maximum (LIVEGATE_JWT_MAX_TTL). */
  ttlS: number;
}

export interface IssuedJwt {
  jwt: string;
  /** ms since the epoch. */
  expiresAt: number;
  kid: string;
}

async function newKey(now: number): Promise<JwtKeyRecord> {
  const { publicKey, privateKey } = await generateKeyPair("ES256", { extractable: true });
  const kid = `lg-${new Date(now).toISOString().slice(0, 10)}-${randomToken(6)}`;
  return {
    kid,
    alg: "ES256",
    created: now,
    publicJwk: { ...(await exportJWK(publicKey)), kid, alg: "ES256", use: "sig" },
    privateJwk: { ...(await exportJWK(privateKey)), kid, alg: "ES256" },
  };
}

/** One per app (composition root): the key ring in the store, read fresh on every use. */
export class MediaMtxJwt {
  readonly #store: Store;
  readonly #clock: Clock;
  readonly #cfg: JwtConfig;
  readonly #issuer: string;
  readonly #keys = new Map<string, Promise<CryptoKey | Uint8Array>>();

  /** `issuer`: the `iss` of the tokens (livegate's public URL). */
  constructor(deps: { store: Store; clock: Clock; cfg: JwtConfig; issuer: string }) {
    this.#store = deps.store;
    this.#clock = deps.clock;
    this.#cfg = deps.cfg;
    this.#issuer = deps.issuer;
  }

  get issuer(): string {
    return this.#issuer;
  }

  /**
   * The ring, created on first use and rotated when the current key is older than the rotation period
   * (LIVEGATE_JWT_ROTATE). Concurrent writers: the first wins, the others read its ring.
   */
  async ring(): Promise<JwtKeyRing> {
    for (let attempt = 0; attempt < 5; attempt++) {
      const now = this.#clock.now();
      const e = await getKeyRing(this.#store);
      if (!e.value) {
        const cur = await newKey(now);
        const ring: JwtKeyRing = { current: { ...cur, since: now }, next: await newKey(now), previous: [] };
        if (await putKeyRing(this.#store, e, ring, "create")) return ring;
        continue;
      }
      const due = this.#cfg.rotateSeconds > 0 &&
        now - e.value.current.since >= this.#cfg.rotateSeconds * 1000;
      if (!due) return e.value;
      const r = await this.#rotated(e.value, now);
      if (
        await putKeyRing(this.#store, e, r, "rotate", {
          actor: "livegate",
          action: "jwt.rotate",
          target: r.current.kid,
          detail: "scheduled",
        })
      ) return r;
    }
    throw new HttpError(503, "the JWT signing keys are being changed; try again");
  }

  async #rotated(ring: JwtKeyRing, now: number): Promise<JwtKeyRing> {
    // The retired key stays published as long as a token it signed may live.
    const until = now + this.#cfg.maxTtlSeconds * 1000;
    return {
      current: { ...ring.next, since: now },
      next: await newKey(now),
      // At most MAX_RETIRED retired keys (the oldest go first): rotating many times within one token
      // lifetime ends the oldest tokens early rather than growing the JWKS without bound.
      previous: [...ring.previous.filter((p) => p.until > now), { ...ring.current, until }].slice(
        -MAX_RETIRED,
      ),
    };
  }

  /**
   * Rotates now: next signs from now on, current is retired (published until its tokens expired), a new
   * next is published. Tokens already issued keep working until they expire. Returns the new ring.
   */
  async rotate(audit?: AuditInput): Promise<JwtKeyRing> {
    for (let attempt = 0; attempt < 5; attempt++) {
      const e = await getKeyRing(this.#store);
      if (!e.value) {
        await this.ring();
        continue;
      }
      const r = await this.#rotated(e.value, this.#clock.now());
      if (await putKeyRing(this.#store, e, r, "rotate", audit)) return r;
    }
    throw new HttpError(503, "the JWT signing keys are being changed; try again");
  }

  /** The JWKS (RFC 7517 section 5) MediaMTX fetches: public keys of next, current and unexpired previous. */
  async jwks(): Promise<{ keys: Record<string, unknown>[] }> {
    const r = await this.ring();
    const now = this.#clock.now();
    return {
      keys: [r.current, r.next, ...r.previous.filter((p) => p.until > now)].map((k) => k.publicJwk),
    };
  }

  /**
   * A JWT for MediaMTX: `{sub, iss, aud: "mediamtx", iat, exp, jti, mediamtx_permissions: [{action,
   * path}]}`, ES256, signed by the current key (header `kid`). Does not decide access: ask the door first.
   * Throws HttpError 400 for a bad action, path or lifetime.
   */
  async issue(req: MediaMtxJwtRequest): Promise<IssuedJwt> {
    if (req.action !== "read" && req.action !== "publish") {
      throw new HttpError(400, "action must be read or publish");
    }
    if (typeof req.path !== "string" || !MTX_PATH_RE.test(req.path)) {
      throw new HttpError(400, "path must be a MediaMTX path name (letters, digits, _ . - /)");
    }
    const max = this.#cfg.maxTtlSeconds;
    if (!Number.isInteger(req.ttlS) || req.ttlS < 1 || req.ttlS > max) {
      throw new HttpError(400, `ttl must be a whole number of seconds from 1 to ${max}`);
    }
    const ring = await this.ring();
    const k = ring.current;
    let key = this.#keys.get(k.kid);
    if (!key) this.#keys.set(k.kid, key = importJWK(k.privateJwk as JWK, "ES256"));
    const now = this.#clock.now();
    const iat = Math.floor(now / 1000);
    const exp = iat + req.ttlS;
    const jwt = await new SignJWT({ [MEDIAMTX_CLAIM]: [{ action: req.action, path: req.path }] })
      .setProtectedHeader({ alg: "ES256", kid: k.kid, typ: "JWT" })
      .setSubject(req.user)
      .setIssuer(this.#issuer)
      .setAudience(MEDIAMTX_AUDIENCE)
      .setIssuedAt(iat)
      .setExpirationTime(exp)
      .setJti(randomToken(9))
      .sign(await key);
    return { jwt, expiresAt: exp * 1000, kid: k.kid };
  }
}

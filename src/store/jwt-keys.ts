// livegate's signing keys for the JWTs MediaMTX checks by itself (src/auth/jwt-keys.ts): one KV record
// ["jwt_keys"] -> JwtKeyRing, changed only with an atomic check on it, so two processes (the server and
// `livegate jwt rotate`) never both rotate. A ring holds
//   next      published in the JWKS, not yet signing (MediaMTX fetches its JWKS once and then every hour,
//             internal/auth/manager.go jwksRefreshPeriod: a key must be published before it signs),
//   current   signing now,
//   previous  retired keys, still published until `until` (the longest lifetime of a token they signed).
// The private keys are kept as JWKs in the database, like the share links' HMAC key (src/store/shares.ts).
// Writes announce a "jwt_key" change.
import { StoreError } from "../core/errors.ts";
import type { Store } from "./kv.ts";
import { type AuditInput, withAudit } from "./audit.ts";

/** One key pair as JWKs (ES256, P-256). */
export interface JwtKeyRecord {
  kid: string;
  alg: "ES256";
  /** ms since the epoch. */
  created: number;
  publicJwk: Record<string, unknown>;
  privateJwk: Record<string, unknown>;
}

export interface JwtKeyRing {
  next: JwtKeyRecord;
  /** `since`: when it started signing (ms). */
  current: JwtKeyRecord & { since: number };
  /** Retired keys with the time (ms) until which they stay published. */
  previous: (JwtKeyRecord & { until: number })[];
}

const RING_KEY = ["jwt_keys"];

/** The ring and its versionstamp (null when no key exists yet). */
export async function getKeyRing(db: Store): Promise<Deno.KvEntryMaybe<JwtKeyRing>> {
  return await db.kv.get<JwtKeyRing>(RING_KEY);
}

/**
 * Writes `ring` if the stored ring is still the one read (`read`); false when another writer was first.
 * Announces the change.
 */
export async function putKeyRing(
  db: Store,
  read: Deno.KvEntryMaybe<JwtKeyRing>,
  ring: JwtKeyRing,
  op: "create" | "rotate",
  audit?: AuditInput,
): Promise<boolean> {
  const size = JSON.stringify(ring).length;
  if (size > 60_000) {
    throw new StoreError("invalid", "too many retired JWT keys kept; shorten the JWT lifetime");
  }
  const res = await withAudit(db.kv.atomic().check(read).set(RING_KEY, ring), audit).commit();
  if (res.ok) db.changes.emit({ kind: "jwt_key", kid: ring.current.kid, op });
  return res.ok;
}

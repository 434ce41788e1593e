// `livegate jwt …`: the signing keys of the JWTs MediaMTX checks itself. `rotate` retires the current key
// (still published until its tokens expired) and publishes a new next key; `keys` lists the ring.
import type { Config } from "../config/config.ts";
import { systemClock } from "../core/clock.ts";
import { StoreError } from "../core/errors.ts";
import { MediaMtxJwt } from "../auth/jwt-keys.ts";
import type { Store } from "../store/kv.ts";
import { row } from "./print.ts";

export const JWT_USAGE =
  `  livegate jwt keys                        the JWT signing keys (next, current, retired)
  livegate jwt rotate                      rotate the JWT signing key now (old tokens work until they expire)`;

/** Runs `jwt SUB`; returns the exit code. */
export async function jwtCmd(kv: Store, cfg: Config, sub: string | undefined): Promise<number> {
  const jwt = new MediaMtxJwt({ store: kv, clock: systemClock, cfg: cfg.jwt, issuer: cfg.publicUrl });
  if (sub === "rotate") {
    const r = await jwt.rotate({ actor: "cli", action: "jwt.rotate", target: "jwt" });
    console.log(
      `signing with ${r.current.kid}; next ${r.next.kid}; retired ${r.previous.map((p) => p.kid).join(", ")}`,
    );
    return 0;
  }
  if (sub === "keys") {
    const r = await jwt.ring();
    console.log(row(r.next.kid, "next", `created ${new Date(r.next.created).toISOString()}`));
    console.log(row(r.current.kid, "current", `since ${new Date(r.current.since).toISOString()}`));
    for (const p of r.previous) {
      console.log(row(p.kid, "retired", `published until ${new Date(p.until).toISOString()}`));
    }
    return 0;
  }
  throw new StoreError("invalid", `unknown 'jwt ${sub ?? ""}'; see livegate --help`);
}

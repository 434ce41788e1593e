// The edge delivery service (one per app, built by the composition root): which delivery a stream uses
// (its own setting in src/store/edge.ts, else LIVEGATE_DELIVERY), the LL-HLS URL a viewer's player gets
// (`/hls/<path>/index.m3u8` direct, or `<edge>/e/<token>/<path>/index.m3u8` through an edge), and the
// replica credentials derived from the edge secret. Tokens are issued only for viewers the door allowed to
// watch (routes.ts asks it first); they are checked by HMAC alone (token.ts), so edges need no database.
import type { EdgeConfig } from "../config/edge-config.ts";
import type { Clock } from "../core/clock.ts";
import type { Store } from "../store/kv.ts";
import { type Delivery, getDelivery } from "../store/edge.ts";
import { safeEqualString } from "../core/crypto.ts";
import { EdgeSecret, issueToken, type Verified, verifyToken } from "./token.ts";

/** What the player is told: where to load LL-HLS from (and WHEP, with a replica). */
export interface PlayUrls {
  mode: Delivery;
  /** The multivariant playlist's URL (absolute with an edge, else a path on livegate). */
  hls: string;
  /** edge: the token in `hls` and when it expires (ms since the epoch); the player renews at half. */
  token?: string;
  expiresAt?: number;
  /** With LIVEGATE_WHEP_REPLICAS: a replica's WHEP endpoint and the bearer token it accepts. */
  whep?: { url: string; token: string; expiresAt: number };
}

/** User name a read replica presents at the origin MediaMTX (its password is derived from the secret). */
export const REPLICA_USER = "lg-replica";

export class EdgeDelivery {
  readonly secret: EdgeSecret;

  constructor(
    readonly cfg: EdgeConfig,
    dataDir: string,
    readonly store: Store,
    readonly clock: Clock,
  ) {
    this.secret = new EdgeSecret(cfg.secret, dataDir);
  }

  /** The stream's delivery: its own setting, else the global one (direct without edge URLs). */
  async modeOf(path: string): Promise<Delivery> {
    const own = await getDelivery(this.store, path);
    const mode = own ?? this.cfg.delivery;
    return mode === "edge" && this.cfg.urls.length > 0 ? "edge" : "direct";
  }

  /**
   * The URLs for a viewer the door allowed to watch `path`. `viewer` is a short viewer id carried in the
   * token ("" for none; letters, digits, '_' and '-'); it also picks the edge, so one viewer stays on one.
   */
  async playUrls(path: string, viewer: string): Promise<PlayUrls> {
    const mode = await this.modeOf(path);
    const now = this.clock.now();
    const expiresAt = (Math.floor(now / 1000) + this.cfg.tokenTtlSeconds) * 1000;
    const needToken = mode === "edge" || this.cfg.whepReplicas.length > 0;
    const token = needToken ? await issueToken(this.secret, path, expiresAt / 1000, viewer) : "";
    const out: PlayUrls = mode === "edge"
      ? { mode, hls: `${pick(this.cfg.urls, viewer)}/e/${token}/${path}/index.m3u8`, token, expiresAt }
      : { mode, hls: `/hls/${path}/index.m3u8` };
    if (this.cfg.whepReplicas.length > 0) {
      out.whep = { url: `${pick(this.cfg.whepReplicas, viewer)}/${path}/whep`, token, expiresAt };
    }
    return out;
  }

  /** Checks an edge token for `path` now (see token.ts verifyToken). */
  verify(path: string, token: string): Promise<Verified> {
    return verifyToken(this.secret, path, token, this.clock.now());
  }

  /** The password a read replica presents as REPLICA_USER when it pulls from the origin MediaMTX. */
  replicaPassword(): Promise<string> {
    return this.secret.derive("lgedge1/replica-read");
  }

  /** Read replicas are enabled by listing them (LIVEGATE_WHEP_REPLICAS). */
  get replicasEnabled(): boolean {
    return this.cfg.whepReplicas.length > 0;
  }

  /** Whether `user`/`password` are the replica credential (constant-time compare; false when disabled). */
  async isReplica(user: string, password: string): Promise<boolean> {
    if (!this.replicasEnabled || user !== REPLICA_USER) return false;
    return safeEqualString(password, await this.replicaPassword());
  }

  /** The secret path segment of the replica hook URL (/internal/edge/replica-auth/<it>). */
  replicaHookSecret(): Promise<string> {
    return this.secret.derive("lgedge1/replica-hook");
  }
}

/** One of `list`, stable for a viewer id (random for none). */
function pick(list: string[], viewer: string): string {
  if (list.length === 1) return list[0];
  if (!viewer) return list[Math.floor(Math.random() * list.length)];
  let h = 0;
  for (let i = 0; i < viewer.length; i++) h = (h * 31 + viewer.charCodeAt(i)) >>> 0;
  return list[h % list.length];
}

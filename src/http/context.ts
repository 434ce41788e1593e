// What route handlers get: the per-app services the composition root (src/app/services.ts) builds once and
// passes in (AppDeps), and the variables the middleware puts on each request's context (Env). Routes take
// the AppDeps they need; tests pass their own (a ManualClock, a memory store, a MediaMTX on a closed port).
import type { Config } from "../config/config.ts";
import type { Clock } from "../core/clock.ts";
import type { Log } from "../core/log.ts";
import type { Access, Actor } from "../auth/access.ts";
import type { MediaCaches } from "../auth/session-cache.ts";
import type { MediaMtxJwt } from "../auth/jwt-keys.ts";
import type { Oidc } from "../auth/oidc.ts";
import type { PublishLedger } from "../auth/publish-recheck.ts";
import type { PublishTickets } from "../auth/publish-tickets.ts";
import type { ReaderLedger } from "../auth/reader-recheck.ts";
import type { ViewerTracker } from "../auth/viewers.ts";
import type { MtxClient } from "../mediamtx/client.ts";
import type { Metrics } from "../metrics/registry.ts";
import type { LiveState } from "../mediamtx/live-state.ts";
import type { MtxSecrets } from "../mediamtx/secrets.ts";
import type { MtxState } from "../mediamtx/supervisor.ts";
import type { Session } from "../store/sessions.ts";
import type { Store } from "../store/kv.ts";
import type { User } from "../store/users.ts";

export interface AppDeps {
  store: Store;
  cfg: Config;
  secrets: MtxSecrets;
  clock: Clock;
  log: Log;
  /** The one MediaMTX client. */
  mtx: MtxClient;
  /** What MediaMTX has live (one poller for everyone). */
  live: LiveState;
  /** The one door for access decisions. */
  access: Access;
  /** Sessions and HLS passes of media requests. */
  caches: MediaCaches;
  /** Who watches what through livegate. */
  viewers: ViewerTracker;
  /** Browser publish tickets (WHIP) the hook redeems. */
  tickets: PublishTickets;
  /** What allowed each running publish (the recheck reads it). */
  ledger: PublishLedger;
  /** WebRTC sessions and recording downloads with who started them (checked again, reader-recheck.ts). */
  readers: ReaderLedger;
  /** The app's Prometheus metrics (counters, and the gauges' sources). */
  metrics: Metrics;
  /** Signing keys and issuing of the JWTs MediaMTX checks itself (auth/jwt-keys.ts). */
  jwt: MediaMtxJwt;
  /** Sign-in with OpenID Connect providers (auth/oidc.ts). */
  oidc: Oidc;
  /** MediaMTX's state as the supervisor sees it ("external" when livegate does not run it). */
  mtxState: () => MtxState | "external";
  /** Whether user/password are a MediaMTX read replica's credential (absent: no replicas; src/edge/). */
  replicaCheck?: (user: string, password: string) => Promise<boolean>;
}

export type Env = {
  Variables: {
    session: Session | null;
    user: User | null;
    sessionToken: string | undefined;
    /** Who this request is, for the door (set by http/actor.ts). */
    actor: Actor;
    clientIp: string;
    https: boolean;
    /** Whether cookies get the Secure flag (LIVEGATE_SECURE_COOKIES; "auto": when over HTTPS). */
    secureCookies: boolean;
  };
};

/** What Deno.serve calls: src/app/front.ts and the handlers it puts in front of the app. */
export type ServeHandler = (req: Request, info: Deno.ServeHandlerInfo) => Response | Promise<Response>;

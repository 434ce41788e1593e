// What every route handler can reach: the store, the config, MediaMTX's secrets and state.
import type { Config } from "../config/config.ts";
import type { MtxSecrets } from "../mediamtx/secrets.ts";
import type { MtxState } from "../mediamtx/supervisor.ts";
import type { Session } from "../store/sessions.ts";
import type { User } from "../store/users.ts";

export interface AppDeps {
  kv: Deno.Kv;
  cfg: Config;
  secrets: MtxSecrets;
  /** MediaMTX's state as the supervisor sees it ("external" when livegate does not run it). */
  mtxState: () => MtxState | "external";
}

export type Env = {
  Variables: {
    session: Session | null;
    user: User | null;
    sessionToken: string | undefined;
    clientIp: string;
    https: boolean;
    /** Whether cookies get the Secure flag (LIVEGATE_SECURE_COOKIES; "auto": when over HTTPS). */
    secureCookies: boolean;
  };
};

/** What Deno.serve calls: src/http/front.ts and the handlers it puts in front of the app. */
export type ServeHandler = (req: Request, info: Deno.ServeHandlerInfo) => Response | Promise<Response>;

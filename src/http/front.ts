// What Deno.serve runs (src/server.ts): the two endpoints hit thousands of times a second are answered in
// front of the Hono app, without its middleware chain: MediaMTX's auth hook (src/mediamtx/hook-route.ts)
// and viewers' HLS requests that hold a pass (src/proxy/hls-fast.ts). Everything else, and anything odd
// about those two, goes to the app. Same answers, headers and request metrics as through the app.
import { HOOK_PREFIX, hookHandler } from "../mediamtx/hook-route.ts";
import { withHlsFastPath } from "../proxy/hls-fast.ts";
import { answered } from "./security-headers.ts";
import type { AppDeps, ServeHandler } from "./context.ts";

const HOOK_URL_RE = new RegExp(`^https?://[^/?#]+${HOOK_PREFIX}([^/?#]+)(?:\\?[^#]*)?$`);
const HOOK_ROUTE = `${HOOK_PREFIX}:secret`;

/** The server's handler: the hook and the HLS hot path first, then `app`. */
export function frontHandler(deps: AppDeps, app: ServeHandler): ServeHandler {
  const hook = hookHandler(deps);
  const next = withHlsFastPath(deps, app);
  return (req, info) => {
    if (req.method === "POST") {
      const m = HOOK_URL_RE.exec(req.url);
      if (m && !m[1].includes("%")) {
        const t0 = performance.now();
        return hook(req, m[1]).then((res) => answered(res, "POST", HOOK_ROUTE, t0));
      }
    }
    return next(req, info);
  };
}

// What Deno.serve runs (src/app/serve.ts): the two endpoints hit thousands of times a second are answered in
// front of the Hono app, without its middleware chain: MediaMTX's auth hook (src/http/mediamtx-hook.ts)
// and viewers' HLS requests that hold a pass (src/proxy/hls-fast.ts). Everything else, and anything odd
// about those two, goes to the app. Same answers, headers and request metrics as through the app.
import { HOOK_PREFIX, hookHandler } from "../http/mediamtx-hook.ts";
import { withHlsFastPath } from "../proxy/hls-fast.ts";
import { answered } from "../http/security-headers.ts";
import type { ServeHandler } from "../http/context.ts";
import type { Services } from "./services.ts";

const HOOK_URL_RE = new RegExp(`^https?://[^/?#]+${HOOK_PREFIX}([^/?#]+)(?:\\?[^#]*)?$`);
const HOOK_ROUTE = `${HOOK_PREFIX}:secret`;

/** The server's handler: the hook and the HLS hot path first, then `app`. */
export function frontHandler(deps: Services, app: ServeHandler): ServeHandler {
  const hook = hookHandler(deps);
  const next = withHlsFastPath(deps, deps.hls, app);
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

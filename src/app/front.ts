// What Deno.serve runs (src/app/serve.ts): the two endpoints hit thousands of times a second are answered in
// front of the Hono app, without its middleware chain: MediaMTX's auth hook (src/http/mediamtx-hook.ts)
// and viewers' HLS requests that hold a pass (src/proxy/hls-fast.ts). Everything else, and anything odd
// about those two, goes to the app. Same answers, headers and request metrics as through the app. HEAD
// answers keep their GET headers without an invented `content-length: 0` (headResponse).
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
        return hook(req, m[1]).then((res) => answered(deps.metrics, res, "POST", HOOK_ROUTE, t0));
      }
    }
    if (req.method === "HEAD") return Promise.resolve(next(req, info)).then(headResponse);
    return next(req, info);
  };
}

const NULL_BODY_STATUS = new Set([101, 103, 204, 205, 304]);

/**
 * A HEAD answer as Deno should send it: Hono answers HEAD with its GET handler's headers and a null body,
 * and Deno.serve sends `content-length: 0` for a null body, which claims the GET body is empty (RFC 9110
 * section 9.3.2: HEAD carries GET's headers). An empty stream body instead makes Deno send the headers
 * as they are, without a length it does not know, and no body.
 */
function headResponse(res: Response): Response {
  if (res.body !== null || res.headers.has("content-length") || NULL_BODY_STATUS.has(res.status)) return res;
  return new Response(new ReadableStream({ start: (c) => c.close() }), res);
}

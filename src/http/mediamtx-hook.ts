// The endpoint MediaMTX POSTs its auth requests to. The URL carries a per-start secret, so only the
// MediaMTX livegate started can call it. Bad bodies get 400, never a crash.
//
// hookHandler() is the whole endpoint as a plain Request -> Response function (no Hono context), so it can
// also be called before the Hono app (the way the HLS hot path is); hookRoutes() mounts it in the app.
import { Hono } from "hono";
import { safeEqualString } from "../core/crypto.ts";
import { HttpError } from "../core/errors.ts";
import { quoteForLog as q } from "../core/log.ts";
import { decide, type HookDeps, parseHookBody } from "../auth/hook.ts";
import { readBodyCapped } from "../core/body.ts";
import type { AppDeps, Env } from "./context.ts";
import { NAME_RE } from "../core/names.ts";
import { getStream } from "../store/streams.ts";
import type { Store } from "../store/kv.ts";

/** Where the key goes, for the log line of a publish to a path that is no stream (often a key in the path). */
const PUBLISH_FORMS = "publish to rtmp://HOST:1935/<stream>?token=KEY, " +
  "srt://HOST:8890?streamid=publish:<stream>::KEY or rtsp://HOST:8554/<stream>?token=KEY " +
  "(the key never goes into the path)";

/** Whether `path` is a stream livegate knows (a stream record, or keys made for it from the CLI). */
async function registered(store: Store, path: string): Promise<boolean> {
  if (await getStream(store, path)) return true;
  for await (const _ of store.kv.list({ prefix: ["keys", path] }, { limit: 1 })) return true;
  return false;
}

const MAX_BODY = 64 * 1024;
/** URL path prefix of the hook; the secret follows it. */
export const HOOK_PREFIX = "/internal/mediamtx/auth/";
const KNOWN_ACTIONS = new Set(["publish", "read", "playback", "api", "metrics", "pprof"]);

const JSON_HEADERS = { "content-type": "application/json" };
const json = (body: unknown, status = 200) =>
  new Response(JSON.stringify(body), { status, headers: JSON_HEADERS });
const OK = '{"ok":true}';

/** The hook endpoint: `secret` is the URL path after HOOK_PREFIX (decoded). */
export function hookHandler(
  deps: Pick<AppDeps, "secrets" | "access" | "ledger" | "log" | "store" | "metrics" | "replicaCheck">,
): (req: Request, secret: string) => Promise<Response> {
  // Allowed publish decisions are reused for up to 2 s by the door (src/auth/publish-cache.ts).
  const decideDeps: HookDeps = { secrets: deps.secrets, access: deps.access, replica: deps.replicaCheck };
  const ledger = deps.ledger;
  return async (raw, secret) => {
    if (!safeEqualString(secret, deps.secrets.hook)) {
      await raw.body?.cancel().catch(() => {});
      return json({ error: "forbidden" }, 403);
    }
    let text: string;
    try {
      text = await readBodyCapped(raw, MAX_BODY);
    } catch (e) {
      if (e instanceof HttpError && e.status === 413) return json({ error: "body too large" }, 413);
      return json({ error: "could not read the body" }, 400);
    }
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      return json({ error: "body is not valid JSON" }, 400);
    }
    const req = parseHookBody(body);
    if (typeof req === "string") return json({ error: req }, 400);
    const d = await decide(req, decideDeps);
    deps.metrics.hookDecisions.inc({
      action: KNOWN_ACTIONS.has(req.action) ? req.action : "other",
      result: d.allow ? "allow" : "deny",
    });
    // Remembered so the running publish can be checked again (publish-recheck.ts).
    if (d.grant && req.id) await ledger.record(req.id, req.path, d.grant);
    if (!d.allow && req.action === "publish") {
      // The path comes from the publisher and may hold a key or password by mistake: only a registered
      // stream path is logged (control characters escaped), and the line says which form to use instead.
      const known = NAME_RE.test(req.path) && await registered(deps.store, req.path);
      const where = known
        ? `'${q(req.path)}'`
        : `an unregistered path (${req.path.length} characters, not shown)`;
      deps.log(
        `[livegate] refused publish to ${where} from ${q(req.ip)} (${q(req.protocol)}): ${d.reason}${
          known ? "" : `; ${PUBLISH_FORMS}`
        }`,
      );
    }
    return d.allow ? new Response(OK, { headers: JSON_HEADERS }) : json({ error: d.reason }, 401);
  };
}

export function hookRoutes(deps: AppDeps) {
  const app = new Hono<Env>();
  const handle = hookHandler(deps);
  app.post(`${HOOK_PREFIX}:secret`, (c) => handle(c.req.raw, c.req.param("secret")));
  return app;
}

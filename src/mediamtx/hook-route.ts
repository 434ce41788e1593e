// The endpoint MediaMTX POSTs its auth requests to. The URL carries a per-start secret, so only the
// MediaMTX livegate started can call it. Bad bodies get 400, never a crash.
//
// hookHandler() is the whole endpoint as a plain Request -> Response function (no Hono context), so it can
// also be called before the Hono app (the way the HLS hot path is); hookRoutes() mounts it in the app.
import { Hono } from "hono";
import { safeEqualString } from "../auth/bytes.ts";
import { decide, type HookDeps, parseHookBody } from "../auth/hook.ts";
import { checkPublishKeyCached } from "../auth/permissions.ts";
import { BodyTooLarge, readBodyCapped } from "../http/body.ts";
import { publishTickets } from "../webrtc/tickets.ts";
import { publishLedger } from "./publish-recheck.ts";
import type { AppDeps, Env } from "../http/context.ts";
import { hookDecisions } from "../metrics/registry.ts";

const MAX_BODY = 64 * 1024;
/** URL path prefix of the hook; the secret follows it. */
export const HOOK_PREFIX = "/internal/mediamtx/auth/";
const q = (s: string) =>
  // deno-lint-ignore no-control-regex
  s.slice(0, 200).replace(/[\u0000-\u001f\u007f\u2028\u2029]/g, (ch) =>
    `\\u${ch.charCodeAt(0).toString(16).padStart(4, "0")}`);
const KNOWN_ACTIONS = new Set(["publish", "read", "playback", "api", "metrics", "pprof"]);

const JSON_HEADERS = { "content-type": "application/json" };
const json = (body: unknown, status = 200) =>
  new Response(JSON.stringify(body), { status, headers: JSON_HEADERS });
const OK = '{"ok":true}';

/** The hook endpoint: `secret` is the URL path after HOOK_PREFIX (decoded). */
export function hookHandler(
  deps: Pick<AppDeps, "kv" | "secrets">,
): (req: Request, secret: string) => Promise<Response> {
  const decideDeps: HookDeps = {
    secrets: deps.secrets,
    // Allowed decisions are reused for up to 2 s (src/auth/publish-cache.ts).
    checkPublishKey: (path, key) => checkPublishKeyCached(deps.kv, path, key),
    redeemPublishTicket: (path, ticket) => publishTickets.redeem(path, ticket),
  };
  const ledger = publishLedger(deps.kv);
  return async (raw, secret) => {
    if (!safeEqualString(secret, deps.secrets.hook)) {
      await raw.body?.cancel().catch(() => {});
      return json({ error: "forbidden" }, 403);
    }
    let text: string;
    try {
      text = await readBodyCapped(raw, MAX_BODY);
    } catch (e) {
      if (e instanceof BodyTooLarge) return json({ error: "body too large" }, 413);
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
    hookDecisions.inc({
      action: KNOWN_ACTIONS.has(req.action) ? req.action : "other",
      result: d.allow ? "allow" : "deny",
    });
    // Remembered so the running publish can be checked again (publish-recheck.ts).
    if (d.grant && req.id) await ledger.record(req.id, req.path, d.grant);
    if (!d.allow && req.action === "publish") {
      console.log(
        // Control characters escaped: these fields come from the publisher and must not forge log lines.
        `[livegate] refused publish to '${q(req.path)}' from ${q(req.ip)} (${q(req.protocol)}): ${d.reason}`,
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

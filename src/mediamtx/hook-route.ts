// The endpoint MediaMTX POSTs its auth requests to. The URL carries a per-start secret, so only the
// MediaMTX livegate started can call it. Bad bodies get 400, never a crash.
import { Hono } from "hono";
import { safeEqualString } from "../auth/bytes.ts";
import { decide, parseHookBody } from "../auth/hook.ts";
import { checkPublishKey } from "../auth/permissions.ts";
import { BodyTooLarge, readBodyCapped } from "../http/body.ts";
import { publishTickets } from "../webrtc/tickets.ts";
import type { AppDeps, Env } from "../http/context.ts";
import { hookDecisions } from "../metrics/registry.ts";

const MAX_BODY = 64 * 1024;
const q = (s: string) =>
  // deno-lint-ignore no-control-regex
  s.slice(0, 200).replace(/[\u0000-\u001f\u007f\u2028\u2029]/g, (ch) =>
    `\\u${ch.charCodeAt(0).toString(16).padStart(4, "0")}`);
const KNOWN_ACTIONS = new Set(["publish", "read", "playback", "api", "metrics", "pprof"]);

export function hookRoutes(deps: AppDeps) {
  const app = new Hono<Env>();
  app.post("/internal/mediamtx/auth/:secret", async (c) => {
    if (!safeEqualString(c.req.param("secret"), deps.secrets.hook)) {
      return c.json({ error: "forbidden" }, 403);
    }
    let text: string;
    try {
      text = await readBodyCapped(c.req.raw, MAX_BODY);
    } catch (e) {
      if (e instanceof BodyTooLarge) return c.json({ error: "body too large" }, 413);
      return c.json({ error: "could not read the body" }, 400);
    }
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      return c.json({ error: "body is not valid JSON" }, 400);
    }
    const req = parseHookBody(body);
    if (typeof req === "string") return c.json({ error: req }, 400);
    const d = await decide(req, {
      secrets: deps.secrets,
      checkPublishKey: (path, key) => checkPublishKey(deps.kv, path, key),
      redeemPublishTicket: (path, ticket) => publishTickets.redeem(path, ticket),
    });
    hookDecisions.inc({
      action: KNOWN_ACTIONS.has(req.action) ? req.action : "other",
      result: d.allow ? "allow" : "deny",
    });
    if (!d.allow && req.action === "publish") {
      console.log(
        // Control characters escaped: these fields come from the publisher and must not forge log lines.
        `[livegate] refused publish to '${q(req.path)}' from ${q(req.ip)} (${q(req.protocol)}): ${d.reason}`,
      );
    }
    return d.allow ? c.json({ ok: true }) : c.json({ error: d.reason }, 401);
  });
  return app;
}

// MediaMTX read replicas (WebRTC at scale): a second MediaMTX, on another machine, pulls each stream on
// demand from the origin MediaMTX over RTSP (as user REPLICA_USER with a password derived from the edge
// secret, which the origin's hook lets "relay", src/auth/access.ts) and serves WHEP to viewers. Viewers
// present the same edge token the player gets from GET /api/streams/<path>/delivery (issued only after the
// door allowed "watch") as `Authorization: Bearer <token>`; the replica asks livegate's replica hook
// (POST /internal/edge/replica-auth/<secret>, answered here by HMAC alone) once per WHEP session.
// replicaConfig() writes the replica's mediamtx.yml. The alternative without a hook call, MediaMTX's
// `authMethod: jwt` with JWTs livegate signs, is described in README "Scaling out".
import { Hono } from "hono";
import { safeEqualString } from "../core/crypto.ts";
import { readBodyCapped } from "../core/body.ts";
import { parseHookBody, presentedKey } from "../auth/hook.ts";
import type { Env } from "../http/context.ts";
import { type EdgeDelivery, REPLICA_USER } from "./delivery.ts";

export const REPLICA_HOOK_PREFIX = "/internal/edge/replica-auth/";

const deny = (error: string, status = 401) => Response.json({ error }, { status });

/** The replica hook: `read` with a valid edge token for the path is allowed; everything else refused. */
export function replicaHookRoutes(edge: EdgeDelivery) {
  const app = new Hono<Env>();
  app.post(`${REPLICA_HOOK_PREFIX}:secret`, async (c) => {
    if (!edge.replicasEnabled) return deny("no read replicas configured", 404);
    if (!safeEqualString(c.req.param("secret"), await edge.replicaHookSecret())) {
      return deny("forbidden", 403);
    }
    let body: unknown;
    try {
      body = JSON.parse(await readBodyCapped(c.req.raw, 64 * 1024));
    } catch {
      return deny("body is not valid JSON (at most 64 KiB)", 400);
    }
    const r = parseHookBody(body);
    if (typeof r === "string") return deny(r, 400);
    if (r.action !== "read") return deny(`${r.action} is not allowed on a read replica`);
    // MediaMTX fills `token` from "Authorization: Bearer" (WHEP) or ?token=; players may also send it as
    // the password.
    const token = presentedKey(r);
    if (!token) return deny("read needs an edge token (Authorization: Bearer <token>)");
    const v = await edge.verify(r.path, token);
    return v.ok ? Response.json({ ok: true }) : deny(`edge token refused: ${v.reason}`);
  });
  return app;
}

export interface ReplicaOptions {
  /** The origin MediaMTX's RTSP address as the replica reaches it (`origin.example.com:8554`). */
  originRtsp: string;
  /** livegate's base URL as the replica reaches it (`https://live.example.com`). */
  livegateUrl: string;
  /** The replica's WHEP/HTTP listener (`:8889`) and ICE UDP listener (`:8189`). */
  webrtcAddress?: string;
  webrtcUdpAddress?: string;
  /** Addresses viewers reach the replica's ICE port at (NAT, public IP). */
  additionalHosts?: string[];
}

/**
 * The replica's mediamtx.yml (MediaMTX v1.20.1). It holds the replica password and the hook secret:
 * write it with mode 0600. Paths: every valid livegate stream name, pulled on demand from the origin
 * (`$G1` is the name), closed 10 s after the last viewer left.
 */
export async function replicaConfig(edge: EdgeDelivery, o: ReplicaOptions): Promise<string> {
  const pass = await edge.replicaPassword();
  const hook = `${o.livegateUrl.replace(/\/+$/, "")}${REPLICA_HOOK_PREFIX}${await edge.replicaHookSecret()}`;
  const q = (s: string) => JSON.stringify(s);
  return [
    "# MediaMTX read replica for livegate (generated; contains secrets: keep it mode 0600).",
    "logLevel: info",
    "authMethod: http",
    `authHTTPAddress: ${q(hook)}`,
    "authHTTPExclude: []",
    "api: false",
    "metrics: false",
    "pprof: false",
    "playback: false",
    "rtsp: false",
    "rtmp: false",
    "srt: false",
    "hls: false",
    "moq: false",
    "webrtc: true",
    `webrtcAddress: ${q(o.webrtcAddress ?? ":8889")}`,
    `webrtcLocalUDPAddress: ${q(o.webrtcUdpAddress ?? ":8189")}`,
    "webrtcAllowOrigins: ['*']",
    `webrtcAdditionalHosts: ${JSON.stringify(o.additionalHosts ?? [])}`,
    "paths:",
    "  '~^([A-Za-z0-9_][A-Za-z0-9_.-]{0,63})$':",
    `    source: ${q(`rtsp://${REPLICA_USER}:${pass}@${o.originRtsp}/$G1`)}`,
    "    rtspTransport: tcp",
    "    sourceOnDemand: yes",
    "    sourceOnDemandCloseAfter: 10s",
    "",
  ].join("\n");
}

// The processes every benchmark runs against, started once per `deno task bench`:
//   livegate (LIVEGATE_MEDIAMTX_MANAGE=false, known LIVEGATE_MTX_SECRET) via the e2e harness,
//   MediaMTX started here with exactly the MTX_* env livegate would give it (so the bench knows the CDN
//   secret and can read HLS directly), nginx proxy_pass in front of the same MediaMTX, and one publisher
//   whose frames carry the wall clock (clock_source.ts). Everything listens on 127.0.0.1.
import { forEachLine } from "../src/mediamtx/lines.ts";
import { join } from "node:path";
import {
  ADMIN_PASSWORD,
  Client,
  type Livegate,
  ROOT,
  startLivegate,
  stopProc,
  waitFor,
} from "../tests/e2e/harness.ts";
import { loadConfig } from "../src/config/config.ts";
import { makeSecrets, type MtxSecrets } from "../src/mediamtx/secrets.ts";
import { mediamtxEnv } from "../src/mediamtx/env.ts";
import { findMediamtx } from "../src/mediamtx/binary.ts";
import { randomToken } from "../src/core/crypto.ts";
import { startClockSource } from "./clock_source.ts";
import { startNginx } from "./nginx.ts";

export interface Rig {
  lg: Livegate;
  secrets: MtxSecrets;
  /** MediaMTX's loopback HLS base URL (needs `authorization: Bearer <cdn>`). */
  mtxHls: string;
  mtxWebrtc: string;
  nginx: string;
  mtx: Deno.ChildProcess;
  nginxPid: number;
  mtxLogs: string[];
  metricsToken: string;
  /** "lg_session=…" of a logged-in admin, for load tools. */
  cookie: string;
  stop(): Promise<void>;
}

function pump(s: ReadableStream<Uint8Array>, into: string[]) {
  return forEachLine(s, (line) => {
    into.push(line);
    if (into.length > 2000) into.splice(0, 1000);
    if (Deno.env.get("E2E_VERBOSE")) console.log(`  mtx| ${line}`);
  });
}

export async function startRig(
  log: (s: string) => void,
  extraEnv: Record<string, string> = {},
): Promise<Rig> {
  const master = randomToken(32);
  const metricsToken = randomToken(24);
  const lg = await startLivegate({
    ...extraEnv,
    LIVEGATE_MEDIAMTX_MANAGE: "false",
    LIVEGATE_MTX_SECRET: master,
    // The login benchmark simulates clients at many addresses through X-Forwarded-For from loopback.
    LIVEGATE_TRUST_PROXY: "true",
    // /metrics (heap figures for the scale benchmark).
    LIVEGATE_METRICS_TOKEN: metricsToken,
  });
  const cleanups: (() => Promise<void>)[] = [() => lg.stop()];
  const cleanup = async () => {
    for (const c of cleanups.reverse()) await c().catch((e) => console.error(`cleanup: ${e}`));
  };
  try {
    const cfg = loadConfig(lg.env);
    const secrets = await makeSecrets(master);
    const env = mediamtxEnv(cfg, secrets);
    const bin = findMediamtx(Deno.env.get("MEDIAMTX_BIN") ?? "");
    const mtxLogs: string[] = [];
    const mtx = new Deno.Command(bin, {
      args: [join(ROOT, "mediamtx.yml")],
      env,
      stdout: "piped",
      stderr: "piped",
      stdin: "null",
    }).spawn();
    const pumps = [pump(mtx.stdout, mtxLogs), pump(mtx.stderr, mtxLogs)];
    cleanups.push(async () => {
      await stopProc(mtx);
      await Promise.allSettled(pumps);
    });
    const p = cfg.mediamtx.ports;
    const mtxHls = `http://127.0.0.1:${p.hls}`;
    await waitFor("MediaMTX HLS listener", async () => {
      const r = await fetch(`${mtxHls}/`, { signal: AbortSignal.timeout(1000) }).catch(() => null);
      await r?.body?.cancel();
      return r ? true : undefined;
    }, 20_000);
    log(`MediaMTX pid ${mtx.pid}, livegate pid ${lg.proc.pid} at ${lg.url}`);

    const ng = await startNginx(mtxHls, secrets.cdn);
    cleanups.push(ng.stop);

    const pub = startClockSource(`rtmp://127.0.0.1:${lg.rtmpPort}/live?token=${lg.key}`);
    cleanups.push(() => pub.stop());
    await waitFor("stream live at MediaMTX", async () => {
      const r = await fetch(`${mtxHls}/live/index.m3u8`, {
        headers: { authorization: `Bearer ${secrets.cdn}` },
        signal: AbortSignal.timeout(3000),
      });
      const t = await r.text();
      return r.ok && t.includes("#EXT-X-STREAM-INF") ? true : undefined;
    }, 30_000).catch((e) => {
      throw new Error(
        `${e.message}\npublisher: ${pub.errors()}\nMediaMTX:\n${mtxLogs.slice(-20).join("\n")}`,
      );
    });
    const client = new Client(lg.url);
    const login = await client.login("admin", ADMIN_PASSWORD);
    await login.body?.cancel();
    const session = client.cookies.get("lg_session");
    if (login.status !== 303 || !session) throw new Error(`admin login failed: ${login.status}`);
    return {
      lg,
      cookie: `lg_session=${session}`,
      metricsToken,
      secrets,
      mtxHls,
      mtxWebrtc: `http://127.0.0.1:${p.webrtc}`,
      nginx: ng.url,
      nginxPid: ng.pid,
      mtx,
      mtxLogs,
      stop: cleanup,
    };
  } catch (e) {
    await cleanup();
    throw e;
  }
}

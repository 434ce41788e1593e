// `livegate serve`, the composition root's entry: validates the config, opens the store, creates the first
// admin, builds the services (services.ts) and the app (app.ts), starts the HTTP server and MediaMTX
// (supervised) and the operations, and stops them all cleanly on Ctrl-C / SIGTERM.
import { checkPortFree, type Config, prepareDataDir } from "../config/config.ts";
import { checkUdpPortFree } from "../config/udp-port.ts";
import { frontHandler } from "./front.ts";
import { createApp } from "./app.ts";
import { createServices } from "./services.ts";
import { loadAssets } from "../web/assets.ts";
import { openStore, type Store } from "../store/kv.ts";
import { addUser, countUsers } from "../store/users.ts";
import { createKey, listKeys } from "../store/keys.ts";
import { ensureStream } from "../store/streams.ts";
import { randomToken } from "../core/crypto.ts";
import { redacting } from "../core/log.ts";
import { findMediamtx } from "../mediamtx/binary.ts";
import { mediamtxConfigPath } from "../mediamtx/config-file.ts";
import { makeSecrets } from "../mediamtx/secrets.ts";
import { mediamtxEnv } from "../mediamtx/env.ts";
import { MtxClient } from "../mediamtx/client.ts";
import { Supervisor } from "../mediamtx/supervisor.ts";
import { pidFilePath, reapStaleMediamtx } from "../mediamtx/pidfile.ts";
import { DEFAULT_PATH } from "../web/routes.ts";
import { startOps } from "../events/ops.ts";
import { startWorkers, type WorkerPool } from "./workers.ts";
import { changeChannelName, relayChanges } from "../cluster/relay.ts";
import { tunnelUpgrade } from "../cluster/ws-tunnel.ts";
import type { ChatUpgrade } from "../chat/routes.ts";
import { ConfigError } from "../config/parse.ts";

export interface Running {
  stop(): Promise<void>;
  finished: Promise<void>;
}

/** Creates the admin (and a first stream key) on an empty database; prints the secrets once. */
async function firstRun(kv: Store, cfg: Config, out: (s: string) => void): Promise<void> {
  if (await countUsers(kv) === 0) {
    const password = cfg.adminPassword ?? randomToken(12);
    await addUser(kv, "admin", password, "admin");
    out("First run: created user 'admin'.");
    if (cfg.adminPassword) out("  password: from LIVEGATE_ADMIN_PASSWORD");
    else out(`  password: ${password}    (shown once; change it with: livegate user passwd admin)`);
  }
  if ((await listKeys(kv)).length === 0) {
    await ensureStream(kv, DEFAULT_PATH);
    const { key } = await createKey(kv, DEFAULT_PATH, "first-run");
    const rtmp = `rtmp://${cfg.publishHost}:${cfg.mediamtx.ports.rtmp}/${DEFAULT_PATH}`;
    out(`Created a stream key for '${DEFAULT_PATH}' (shown once):`);
    out(`  ffmpeg/any RTMP client: ${rtmp}?token=${key}`);
    out(`  OBS: Server ${rtmp}?token=${key}   Stream Key: (leave empty)`);
    out(`  watch at ${cfg.publicUrl}/watch/${DEFAULT_PATH}`);
  }
}

async function waitMediamtxReady(mtx: MtxClient, ms: number, exited: () => boolean) {
  const end = Date.now() + ms;
  let last = "";
  while (Date.now() < end) {
    if (exited()) throw new Error("MediaMTX exited while starting; its log above says why");
    try {
      await mtx.globalConfig(1000);
      return;
    } catch (e) {
      last = (e as Error).message;
    }
    await new Promise((r) => setTimeout(r, 150));
  }
  throw new Error(`MediaMTX did not become ready in ${ms} ms (${last})`);
}

/** Throws ConfigError naming the first of MediaMTX's ports that is in use. */
async function checkMediamtxPorts(cfg: Config): Promise<void> {
  const p = cfg.mediamtx.ports;
  checkPortFree("LIVEGATE_RTMP_PORT", "0.0.0.0", p.rtmp);
  checkPortFree("LIVEGATE_RTSP_PORT", "0.0.0.0", p.rtsp);
  checkPortFree("LIVEGATE_MTX_HLS_PORT", "127.0.0.1", p.hls);
  checkPortFree("LIVEGATE_MTX_WEBRTC_PORT", "127.0.0.1", p.webrtc);
  checkPortFree("LIVEGATE_MTX_API_PORT", "127.0.0.1", p.api);
  checkPortFree("LIVEGATE_MTX_METRICS_PORT", "127.0.0.1", p.metrics);
  checkPortFree("LIVEGATE_MTX_PLAYBACK_PORT", "127.0.0.1", p.playback);
  await checkUdpPortFree("LIVEGATE_SRT_PORT", "0.0.0.0", p.srt);
  await checkUdpPortFree("LIVEGATE_WEBRTC_UDP_PORT", "0.0.0.0", p.webrtcUdp);
  if (cfg.mediamtx.webrtcTcpPort !== null) {
    checkPortFree("LIVEGATE_WEBRTC_TCP_PORT", "0.0.0.0", cfg.mediamtx.webrtcTcpPort);
  }
}

/**
 * Runs livegate. `log` gets every line livegate and MediaMTX write, behind redactSecrets (src/core/log.ts):
 * no stream key, share token, ticket or password reaches it, whatever field it arrived in.
 */
export async function serve(cfg: Config, rawLog: (s: string) => void = console.log): Promise<Running> {
  const log = redacting(rawLog);
  await prepareDataDir(cfg);
  const bin = cfg.mediamtx.manage ? findMediamtx(cfg.mediamtx.bin) : "";
  if (cfg.mediamtx.manage) {
    try {
      Deno.statSync(cfg.mediamtx.configFile);
    } catch {
      throw new Error(`config: LIVEGATE_MEDIAMTX_CONFIG: ${cfg.mediamtx.configFile} does not exist`);
    }
  }
  checkPortFree("LIVEGATE_PORT", cfg.host, cfg.port);
  const workers = cfg.edge.workers;
  if (workers > 1 && Deno.build.os !== "linux") {
    throw new ConfigError(
      "LIVEGATE_WORKERS",
      `must be 1 on ${Deno.build.os}: several isolates need Linux's SO_REUSEPORT`,
    );
  }
  if (cfg.mediamtx.manage) {
    const reaped = await reapStaleMediamtx(pidFilePath(cfg.dataDir), log);
    // A MediaMTX just ended may take a moment to close its listeners: then the checks are retried for 5 s.
    for (let attempt = 0;; attempt++) {
      try {
        await checkMediamtxPorts(cfg);
        break;
      } catch (e) {
        if (reaped === null || attempt >= 50) throw e;
        await new Promise((r) => setTimeout(r, 100));
      }
    }
  }
  const assets = await loadAssets();
  const mtxConfig = cfg.mediamtx.manage ? await mediamtxConfigPath(cfg) : "";
  const kv = await openStore(cfg.dataDir);
  // The first run's password and key are shown once on purpose: not redacted.
  await firstRun(kv, cfg, rawLog);

  const secrets = await makeSecrets(cfg.mediamtx.manage ? undefined : Deno.env.get("LIVEGATE_MTX_SECRET"));
  let supervisor: Supervisor | undefined;
  const deps = createServices({
    store: kv,
    cfg,
    secrets,
    log,
    mtxState: () => supervisor?.state ?? "external",
  });
  // LIVEGATE_WORKERS > 1: workers serve the port (src/app/workers.ts); this isolate answers what they
  // forward, keeps the supervisor and the background loops, and relays the store's changes to them.
  const app = createApp(deps, assets, workers > 1 ? tunnelUpgrade as unknown as ChatUpgrade : undefined);
  const ac = new AbortController();
  let pool: WorkerPool | undefined;
  let unrelay = () => {};
  let server: { finished: Promise<void> };
  if (workers > 1) {
    if (!cfg.edge.secret) deps.edge.secret.value(); // created once here, not raced by the workers
    unrelay = relayChanges(kv.changes, changeChannelName(cfg.dataDir));
    try {
      pool = await startWorkers({
        n: workers,
        cfg,
        secrets,
        deps,
        handler: frontHandler(deps, app.fetch),
        log,
      });
    } catch (e) {
      unrelay();
      deps.close();
      kv.kv.close();
      throw e;
    }
    const stopped = new Promise<void>((r) => ac.signal.addEventListener("abort", () => r()));
    server = { finished: Promise.race([stopped, pool.failed.then(() => {})]) };
  } else {
    server = Deno.serve(
      { hostname: cfg.host, port: cfg.port, signal: ac.signal, onListen: () => {} },
      frontHandler(deps, app.fetch),
    );
  }
  log(
    `livegate listening on http://${cfg.host}:${cfg.port} (public URL ${cfg.publicUrl})` +
      (workers > 1 ? ` with ${workers} HTTP isolates` : ""),
  );

  if (cfg.mediamtx.manage) {
    supervisor = new Supervisor({
      bin,
      configFile: mtxConfig,
      env: mediamtxEnv(cfg, secrets),
      log: (line) => {
        log(line);
        deps.sources.observe(line); // a pulled source's errors (src/sources/manager.ts)
      },
      pidFile: pidFilePath(cfg.dataDir),
      ready: () =>
        waitMediamtxReady(deps.mtx, 30_000, () => supervisor?.state === "restarting")
          .then(() => deps.recording.applyAll())
          .then(async () => void await deps.sources.applyAll()),
    });
    try {
      supervisor.start();
      await supervisor.ready;
    } catch (e) {
      await supervisor.stop();
      await pool?.stop();
      ac.abort();
      await server.finished;
      unrelay();
      deps.close();
      kv.kv.close();
      throw e;
    }
    log(
      `MediaMTX ready: RTMP :${cfg.mediamtx.ports.rtmp}, RTSP :${cfg.mediamtx.ports.rtsp}, SRT :${cfg.mediamtx.ports.srt}`,
    );
  }

  if (!cfg.mediamtx.manage) {
    // A MediaMTX run separately gets the sources now (after its restarts: `livegate` is restarted too).
    await deps.sources.applyAll().catch((e) => log(`[livegate] cannot apply pulled sources: ${e.message}`));
  }
  const ops = startOps(deps, supervisor, log, { restream: deps.restream });
  deps.thumbs.start();
  deps.analytics.start();
  deps.ladder.start();
  deps.metrics.sources.ladders = () => deps.ladder.speeds();
  let stopping: Promise<void> | undefined;
  const stop = () =>
    stopping ??= (async () => {
      await deps.ladder.stop(); // no ladder ffmpeg outlives livegate
      await deps.thumbs.stop();
      await deps.analytics.stop();
      await ops.stop();
      await supervisor?.stop();
      deps.chat.close(); // the chat's sockets held by the workers close first (1001), then the workers
      await pool?.stop();
      ac.abort();
      await server.finished;
      unrelay();
      deps.close();
      kv.kv.close();
    })();
  return { stop, finished: server.finished };
}

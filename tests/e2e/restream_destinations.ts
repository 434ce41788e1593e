// Real destinations for the restream tests: a second MediaMTX (RTMP and SRT listeners, optionally RTMPS with
// a self-signed certificate and WHIP behind a bearer token, its API to see what it receives) and nginx-rtmp
// (Debian libnginx-mod-rtmp) whose on_publish asks an HTTP endpoint in the test process that accepts one key
// only. Each on free loopback ports in a temp dir; stop() ends them. Also the checks both restream tests make
// on livegate's ffmpeg processes.
import { join } from "node:path";
import { freePort, freeUdpPort, needTool, run } from "./harness.ts";

export interface MtxDestinationOptions {
  /** Also RTMPS on its own port with this certificate and key (PEM files), plain RTMP kept. */
  tls?: { cert: string; key: string };
  /**
   * Also WebRTC (WHIP publish) and RTSP (for ffprobe): a WHIP publish is allowed only with
   * `Authorization: Bearer <whipToken>` (MediaMTX's HTTP auth hook, answered in this test process).
   */
  whipToken?: string;
}

/** A self-signed certificate for 127.0.0.1 (openssl, EC P-256, 1 day) in `dir`: {cert, key} paths. */
export async function selfSignedCert(dir: string): Promise<{ cert: string; key: string }> {
  const cert = join(dir, "cert.pem"), key = join(dir, "key.pem");
  const out = await new Deno.Command(needTool("openssl"), {
    args: [
      ...["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"],
      ...["-keyout", key, "-out", cert, "-days", "1", "-subj", "/CN=127.0.0.1"],
      ...["-addext", "subjectAltName=IP:127.0.0.1"],
    ],
    stdout: "null",
    stderr: "piped",
  }).output();
  if (out.code !== 0) throw new Error(`openssl failed: ${new TextDecoder().decode(out.stderr)}`);
  return { cert, key };
}

/** A second MediaMTX taking any publish/read on RTMP and SRT, with its API for tests. */
export async function startMtxDestination(opts: MtxDestinationOptions = {}) {
  const bin = Deno.env.get("MEDIAMTX_BIN");
  if (!bin) throw new Error('MEDIAMTX_BIN is not set: run eval "$(bash scripts/setup.sh --test)"');
  const dir = await Deno.makeTempDir({ prefix: "livegate-restream-mtx-" });
  const rtmp = freePort(), api = freePort(), srt = await freeUdpPort();
  const rtmps = freePort(), webrtc = freePort(), webrtcUdp = await freeUdpPort(), rtsp = freePort();
  /** Tokens MediaMTX's auth hook was asked about for WebRTC publishes (whipToken only). */
  const whipTokens: string[] = [];
  const hook = opts.whipToken === undefined
    ? undefined
    : Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, async (req) => {
      const b = await req.json() as { action: string; protocol: string; token?: string };
      if (b.action === "publish" && b.protocol === "webrtc") whipTokens.push(b.token ?? "");
      const ok = b.action !== "publish" || b.protocol !== "webrtc" || b.token === opts.whipToken;
      return new Response(null, { status: ok ? 200 : 401 });
    });
  const auth = hook
    ? `authMethod: http
authHTTPAddress: http://127.0.0.1:${hook.addr.port}/auth
authHTTPExclude: []`
    : `authMethod: internal
authInternalUsers:
  - user: any
    pass:
    ips: []
    permissions:
      - action: publish
      - action: read
      - action: api`;
  const conf = `
logLevel: info
api: true
apiAddress: 127.0.0.1:${api}
metrics: false
pprof: false
playback: false
rtsp: ${
    hook
      ? `true
rtspAddress: 127.0.0.1:${rtsp}
rtspTransports: [tcp]`
      : "false"
  }
hls: false
webrtc: ${
    hook
      ? `true
webrtcAddress: 127.0.0.1:${webrtc}
webrtcLocalUDPAddress: :${webrtcUdp}`
      : "false"
  }
moq: false
rtmp: true
rtmpAddress: 127.0.0.1:${rtmp}
${
    opts.tls
      ? `rtmpEncryption: optional
rtmpsAddress: 127.0.0.1:${rtmps}
rtmpServerKey: ${opts.tls.key}
rtmpServerCert: ${opts.tls.cert}`
      : ""
  }
srt: true
srtAddress: 127.0.0.1:${srt}
${auth}
paths:
  all_others:
`;
  await Deno.writeTextFile(join(dir, "mediamtx.yml"), conf);
  const proc = new Deno.Command(bin, {
    args: [join(dir, "mediamtx.yml")],
    cwd: dir,
    stdout: "null",
    stderr: "null",
    stdin: "null",
  }).spawn();
  const base = `http://127.0.0.1:${api}`;
  const end = Date.now() + 15_000;
  for (;;) {
    const r = await fetch(`${base}/v3/paths/list`).catch(() => null);
    await r?.body?.cancel();
    if (r?.ok) break;
    if (Date.now() > end) throw new Error("the destination MediaMTX did not start");
    await new Promise((r) => setTimeout(r, 150));
  }
  return {
    rtmp,
    srt,
    rtmps,
    webrtc,
    rtsp,
    api,
    whipTokens,
    /** The tracks of `path` and the bytes it has received (undefined while it is not online). */
    async tracks(path: string): Promise<{ tracks: string[]; bytesReceived: number } | undefined> {
      const r = await fetch(`${base}/v3/paths/list`);
      const j = await r.json() as {
        items: { name: string; ready?: boolean; tracks?: string[]; bytesReceived?: number }[];
      };
      const p = j.items.find((p) => p.name === path && p.ready);
      return p ? { tracks: [...(p.tracks ?? [])].sort(), bytesReceived: p.bytesReceived ?? 0 } : undefined;
    },
    /** Kicks every WebRTC session (as a destination dropping its publisher would). */
    async kickWebrtc(): Promise<number> {
      const j = await (await fetch(`${base}/v3/webrtcsessions/list`)).json() as { items: { id: string }[] };
      for (const s of j.items) {
        await (await fetch(`${base}/v3/webrtcsessions/kick/${s.id}`, { method: "POST" })).body?.cancel();
      }
      return j.items.length;
    },
    /** Whether `path` has a publisher (is online) at this MediaMTX. */
    async online(path: string): Promise<boolean> {
      const r = await fetch(`${base}/v3/paths/list`);
      const j = await r.json() as { items: { name: string; online?: boolean; ready?: boolean }[] };
      return j.items.some((p) => p.name === path && (p.online ?? p.ready));
    },
    async stop() {
      try {
        proc.kill("SIGTERM");
      } catch { /* gone */ }
      await proc.status;
      await hook?.shutdown();
      await Deno.remove(dir, { recursive: true }).catch(() => {});
    },
  };
}

/** The on_publish endpoint: 2xx for `goodKey`, 403 otherwise (nginx-rtmp then drops the publisher). */
export function startPublishAuth(goodKey: string) {
  const asked: string[] = [];
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, async (req) => {
    const form = await req.formData();
    const name = String(form.get("name") ?? "");
    asked.push(name);
    return new Response(null, { status: name === goodKey ? 200 : 403 });
  });
  return { url: `http://127.0.0.1:${server.addr.port}/on_publish`, asked, stop: () => server.shutdown() };
}

/**
 * nginx with the RTMP module: application "live" on `port`, publishes checked by `onPublish`. One process
 * (master_process off), so stop() (SIGKILL) takes the destination away at once, as a crash would.
 */
export async function startNginxRtmp(onPublish: string, port = freePort()) {
  const bin = ["/usr/sbin/nginx", "/usr/bin/nginx"].find((p) => {
    try {
      return Deno.statSync(p).isFile;
    } catch {
      return false;
    }
  });
  const mod = "/usr/lib/nginx/modules/ngx_rtmp_module.so";
  if (!bin) throw new Error("nginx is not installed: run scripts/setup.sh --test");
  try {
    Deno.statSync(mod);
  } catch {
    throw new Error("libnginx-mod-rtmp is not installed: run scripts/setup.sh --test");
  }
  const dir = await Deno.makeTempDir({ prefix: "livegate-restream-nginx-" });
  const conf = `
load_module ${mod};
pid ${dir}/nginx.pid;
error_log ${dir}/error.log info;
daemon off;
master_process off;
events { worker_connections 64; }
rtmp {
  server {
    listen 127.0.0.1:${port};
    application live { live on; on_publish ${onPublish}; }
  }
}
`;
  await Deno.writeTextFile(join(dir, "nginx.conf"), conf);
  const proc = new Deno.Command(bin, {
    args: ["-p", dir, "-c", join(dir, "nginx.conf")],
    stdout: "null",
    stderr: "null",
    stdin: "null",
  }).spawn();
  const end = Date.now() + 10_000;
  for (;;) {
    const c = await Deno.connect({ hostname: "127.0.0.1", port }).catch(() => null);
    if (c) {
      c.close();
      break;
    }
    if (Date.now() > end) {
      throw new Error(`nginx-rtmp did not start: ${await Deno.readTextFile(join(dir, "error.log"))}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    port,
    async stop() {
      try {
        proc.kill("SIGKILL");
      } catch { /* gone */ }
      await proc.status;
      await Deno.remove(dir, { recursive: true }).catch(() => {});
    },
  };
}

/** Process ids of the ffmpeg processes that are children of `pid`. */
export async function ffmpegPids(pid: number): Promise<number[]> {
  const r = await run("ps", ["-o", "pid=,comm=", "--ppid", String(pid)]);
  return r.stdout.split("\n").map((l) => l.trim().split(/\s+/)).filter((f) => f[1] === "ffmpeg")
    .map((f) => Number(f[0]));
}

/** How many ffmpeg processes are children of `pid`. */
export async function ffmpegChildren(pid: number): Promise<number> {
  return (await ffmpegPids(pid)).length;
}

/** Whether process `pid` still runs (a zombie counts as gone). */
export async function alive(pid: number): Promise<boolean> {
  const r = await run("ps", ["-o", "stat=", "-p", String(pid)]);
  const stat = r.stdout.trim();
  return stat !== "" && !stat.startsWith("Z");
}

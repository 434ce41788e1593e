// Real destinations for the restream tests: a second MediaMTX (RTMP and SRT listeners, its API to see what
// it receives) and nginx-rtmp (Debian libnginx-mod-rtmp) whose on_publish asks an HTTP endpoint in the
// test process that accepts one key only. Each on free loopback ports in a temp dir; stop() ends them.
import { join } from "node:path";
import { freePort, freeUdpPort } from "./harness.ts";

/** A second MediaMTX taking any publish/read on RTMP and SRT, with its API for tests. */
export async function startMtxDestination() {
  const bin = Deno.env.get("MEDIAMTX_BIN");
  if (!bin) throw new Error('MEDIAMTX_BIN is not set: run eval "$(bash scripts/setup.sh --test)"');
  const dir = await Deno.makeTempDir({ prefix: "livegate-restream-mtx-" });
  const rtmp = freePort(), api = freePort(), srt = await freeUdpPort();
  const conf = `
logLevel: info
api: true
apiAddress: 127.0.0.1:${api}
metrics: false
pprof: false
playback: false
rtsp: false
hls: false
webrtc: false
moq: false
rtmp: true
rtmpAddress: 127.0.0.1:${rtmp}
srt: true
srtAddress: 127.0.0.1:${srt}
authMethod: internal
authInternalUsers:
  - user: any
    pass:
    ips: []
    permissions:
      - action: publish
      - action: read
      - action: api
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

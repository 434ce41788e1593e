// nginx (Debian package) as a plain reverse proxy in front of the same MediaMTX HLS listener, adding the
// CDN bearer header: the baseline the HLS proxy-cost benchmark compares livegate with (Debian defaults:
// worker_processes auto, buffering on; upstream keep-alive as usually recommended). Runs
// from a temp prefix on a free loopback port.
import { join } from "node:path";
import { freePort, run } from "../tests/e2e/harness.ts";

export async function startNginx(upstream: string, cdnSecret: string) {
  const bin = ["/usr/sbin/nginx", "/usr/bin/nginx"].find((p) => {
    try {
      return Deno.statSync(p).isFile;
    } catch {
      return false;
    }
  });
  if (!bin) throw new Error("nginx is not installed: run scripts/setup.sh --bench");
  const dir = await Deno.makeTempDir({ prefix: "livegate-bench-nginx-" });
  const port = freePort();
  const up = new URL(upstream);
  const conf = `
worker_processes auto;
pid ${dir}/nginx.pid;
error_log ${dir}/error.log warn;
events { worker_connections 8192; }
http {
  access_log off;
  client_body_temp_path ${dir}/body;
  proxy_temp_path ${dir}/proxy;
  fastcgi_temp_path ${dir}/fastcgi;
  uwsgi_temp_path ${dir}/uwsgi;
  scgi_temp_path ${dir}/scgi;
  upstream mtx { server ${up.host}; keepalive 64; }
  server {
    listen 127.0.0.1:${port};
    location / {
      proxy_pass http://mtx;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_set_header Authorization "Bearer ${cdnSecret}";
      proxy_read_timeout 30s;
    }
  }
}
`;
  const confPath = join(dir, "nginx.conf");
  await Deno.writeTextFile(confPath, conf);
  // -g "daemon off" keeps it our child so it is stopped with the bench.
  const proc = new Deno.Command(bin, {
    args: ["-p", dir, "-c", confPath, "-g", "daemon off;"],
    stdout: "null",
    stderr: "piped",
    stdin: "null",
  }).spawn();
  const url = `http://127.0.0.1:${port}`;
  const end = Date.now() + 10_000;
  for (;;) {
    const r = await fetch(`${url}/`, { signal: AbortSignal.timeout(1000) }).catch(() => null);
    await r?.body?.cancel();
    if (r) break;
    if (Date.now() > end) {
      const err = await run("cat", [join(dir, "error.log")]);
      throw new Error(`nginx did not start: ${err.stdout}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    url,
    pid: proc.pid,
    async stop() {
      try {
        proc.kill("SIGTERM");
      } catch { /* gone */ }
      await proc.status;
      await proc.stderr.cancel().catch(() => {});
      await Deno.remove(dir, { recursive: true }).catch(() => {});
    },
  };
}

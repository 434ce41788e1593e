// Runs deploy/nginx-edge.conf (+ deploy/nginx-edge.js) with Debian's nginx as a livegate edge on a free
// loopback port, exactly as shipped: only the five values on the lines marked "# EDIT" are replaced (cache
// dir, njs module path, secret file, livegate's address, the port), each asserted to be replaced once.
import { join } from "node:path";
import { freePort, ROOT, run } from "./harness.ts";

export const NGINX_BIN = "/usr/sbin/nginx";
const JS_MODULE = "/usr/lib/nginx/modules/ngx_http_js_module.so";

export interface Edge {
  url: string;
  port: number;
  dir: string;
  pid: number;
  stop(): Promise<void>;
}

/** The shipped config with this edge's values on its "# EDIT" lines. Throws when a value is not found. */
export function edgeConfig(
  v: { cacheDir: string; jsPath: string; secretFile: string; origin: string; port: number },
): string {
  const text = Deno.readTextFileSync(join(ROOT, "deploy", "nginx-edge.conf"));
  const subs: [RegExp, string][] = [
    [/\/var\/cache\/nginx\/livegate-edge/, v.cacheDir],
    [/\/etc\/nginx\/livegate\/nginx-edge\.js/, v.jsPath],
    [/\/etc\/nginx\/livegate\/edge-secret\.conf/, v.secretFile],
    [/127\.0\.0\.1:3000/, v.origin],
    [/listen 8080;/, `listen 127.0.0.1:${v.port};`],
  ];
  const used = new Array(subs.length).fill(0);
  const out = text.split("\n").map((line) => {
    if (!line.includes("# EDIT")) return line;
    for (const [i, [re, val]] of subs.entries()) {
      if (re.test(line)) {
        used[i]++;
        return line.replace(re, val);
      }
    }
    throw new Error(`deploy/nginx-edge.conf: unexpected EDIT line: ${line}`);
  }).join("\n");
  if (used.some((n) => n !== 1)) throw new Error(`deploy/nginx-edge.conf: EDIT lines changed (${used})`);
  return out;
}

/** Starts one edge in front of `origin` (http://host:port) checking tokens with `secret`. */
export async function startEdge(origin: string, secret: string, port = freePort()): Promise<Edge> {
  const dir = await Deno.makeTempDir({ prefix: "livegate-edge-" });
  // nginx started as root runs its workers as another user: they must be able to write the cache.
  await Deno.chmod(dir, 0o755);
  await Deno.mkdir(join(dir, "cache"), { mode: 0o777 });
  await Deno.chmod(join(dir, "cache"), 0o777);
  const secretFile = join(dir, "edge-secret.conf");
  await Deno.writeTextFile(secretFile, `js_var $livegate_edge_secret "${secret}";\n`, { mode: 0o600 });
  const site = edgeConfig({
    cacheDir: join(dir, "cache"),
    jsPath: join(ROOT, "deploy", "nginx-edge.js"),
    secretFile,
    origin: new URL(origin).host,
    port,
  });
  await Deno.writeTextFile(join(dir, "livegate-edge.conf"), site);
  const main = `
load_module ${JS_MODULE};
worker_processes 1;
pid ${dir}/nginx.pid;
error_log ${dir}/error.log warn;
events { worker_connections 4096; }
http {
  access_log ${dir}/access.log;
  client_body_temp_path ${dir}/body;
  proxy_temp_path ${dir}/proxy;
  fastcgi_temp_path ${dir}/fastcgi;
  uwsgi_temp_path ${dir}/uwsgi;
  scgi_temp_path ${dir}/scgi;
  include ${dir}/livegate-edge.conf;
}
`;
  await Deno.writeTextFile(join(dir, "nginx.conf"), main);
  const t = await run(NGINX_BIN, ["-t", "-p", dir, "-c", join(dir, "nginx.conf")]);
  if (t.code !== 0) throw new Error(`nginx -t failed: ${t.stderr}`);
  const proc = new Deno.Command(NGINX_BIN, {
    args: ["-p", dir, "-c", join(dir, "nginx.conf"), "-g", "daemon off;"],
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
      proc.kill("SIGKILL");
      await proc.status;
      throw new Error(
        `nginx did not start: ${await Deno.readTextFile(join(dir, "error.log")).catch(() => "")}`,
      );
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    url,
    port,
    dir,
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

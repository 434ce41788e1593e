// Real processes for end-to-end tests: livegate (which starts MediaMTX) on free ports in a temp data dir,
// ffmpeg publishers, and a cookie-keeping HTTP client that logs in through the form.
import { forEachLine } from "../../src/mediamtx/lines.ts";
import { join, resolve } from "node:path";
import { V8_FLAGS_ARG } from "../../src/runtime/v8-flags.ts";
import { checkUdpPortFree } from "../../src/config/udp-port.ts";

export const ROOT = resolve(new URL("../..", import.meta.url).pathname);
export const ADMIN_PASSWORD = "e2e-admin-password";

/** Ports handed out by this process: the OS may offer a just-closed port again, which would give one
 * livegate the same port twice (config refuses that) or two livegates one port. */
const handedOut = new Set<number>();

export function freePort(): number {
  // Below the kernel's ephemeral range (32768+): a port handed out by "port 0", or taken by any outgoing
  // connection of another test file running in parallel, can be in use again by the time MediaMTX binds
  // it (seen as "bind: address already in use"). Random, so parallel test files rarely pick the same one,
  // and checked free on all addresses (RTMP/RTSP listen on 0.0.0.0).
  for (;;) {
    const p = 20_000 + Math.floor(Math.random() * 12_000);
    if (handedOut.has(p)) continue;
    try {
      Deno.listen({ hostname: "0.0.0.0", port: p }).close();
      Deno.listen({ hostname: "127.0.0.1", port: p }).close();
    } catch {
      continue;
    }
    handedOut.add(p);
    return p;
  }
}

/**
 * A port free for TCP (freePort) that is also free for UDP on all addresses right now: SRT and WebRTC
 * listen on UDP, and other test files running in parallel (Chromium's WebRTC, MediaMTX) hold UDP ports
 * that a TCP check does not see.
 */
export async function freeUdpPort(): Promise<number> {
  for (;;) {
    const p = freePort();
    try {
      await checkUdpPortFree("test", "0.0.0.0", p);
      return p;
    } catch { /* in use for UDP: pick another */ }
  }
}

export function needTool(name: string): string {
  for (const dir of (Deno.env.get("PATH") ?? "").split(":")) {
    try {
      const p = join(dir, name);
      if (Deno.statSync(p).isFile) return p;
    } catch { /* next */ }
  }
  throw new Error(`${name} is not installed: run scripts/test.sh, which installs it`);
}

export async function run(cmd: string, args: string[], opts: Deno.CommandOptions = {}) {
  const out = await new Deno.Command(cmd, { args, stdout: "piped", stderr: "piped", ...opts }).output();
  return {
    code: out.code,
    stdout: new TextDecoder().decode(out.stdout),
    stderr: new TextDecoder().decode(out.stderr),
  };
}

/** The first video stream's size in `file` as ffprobe reads it ("320x180"); throws when ffprobe fails. */
export async function videoSize(file: string): Promise<string> {
  const p = await run(needTool("ffprobe"), [
    ...["-v", "error", "-select_streams", "v:0", "-show_entries", "stream=width,height", "-of", "csv=p=0"],
    file,
  ]);
  if (p.code !== 0) throw new Error(`ffprobe ${file} failed: ${p.stderr}`);
  return p.stdout.trim().replace(",", "x");
}

export interface Livegate {
  url: string;
  env: Record<string, string>;
  dataDir: string;
  rtmpPort: number;
  key: string;
  logs: string[];
  proc: Deno.ChildProcess;
  /** Runs a livegate CLI command against the same data dir. */
  cli(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }>;
  stop(): Promise<void>;
}

/** Entry to run: main.ts from the repo, or LIVEGATE_E2E_ENTRY (e.g. a compiled binary). */
function entry(args: string[]): [string, string[]] {
  const bin = Deno.env.get("LIVEGATE_E2E_BIN");
  if (bin) return [bin, args];
  return [Deno.execPath(), [
    "run",
    "-A",
    V8_FLAGS_ARG,
    "--config",
    join(ROOT, "deno.json"),
    join(ROOT, "main.ts"),
    ...args,
  ]];
}

/**
 * A livegate with its own MediaMTX on free ports (`extraEnv` adds or overrides settings). A port taken by
 * another test file between the pick and livegate's or MediaMTX's start ("already in use") is tried again
 * with new ports, up to 3 times; any other failure to start throws at once.
 */
export async function startLivegate(extraEnv: Record<string, string> = {}): Promise<Livegate> {
  for (let attempt = 1;; attempt++) {
    try {
      return await startLivegateOnce(extraEnv);
    } catch (e) {
      // Only when livegate itself ended on a taken port: its own check ("config: … port N is already in
      // use", before it starts anything) or MediaMTX's bind failing as it starts (livegate exits after its
      // MediaMTX did, so nothing of this attempt is left running).
      const taken = /livegate exited early[\s\S]*(config: .*is already in use|bind: address already in use)/;
      if (attempt >= 3 || !taken.test(String(e))) throw e;
      console.log(`  (livegate start: a port was taken meanwhile, new ports, attempt ${attempt + 1})`);
    }
  }
}

async function startLivegateOnce(extraEnv: Record<string, string>): Promise<Livegate> {
  const dataDir = await Deno.makeTempDir({ prefix: "livegate-e2e-" });
  const port = freePort();
  const rtmpPort = freePort();
  const env: Record<string, string> = {
    LIVEGATE_DATA_DIR: dataDir,
    LIVEGATE_HOST: "127.0.0.1",
    LIVEGATE_PORT: String(port),
    LIVEGATE_ADMIN_PASSWORD: ADMIN_PASSWORD,
    LIVEGATE_RTMP_PORT: String(rtmpPort),
    LIVEGATE_RTSP_PORT: String(freePort()),
    LIVEGATE_SRT_PORT: String(await freeUdpPort()),
    LIVEGATE_MTX_HLS_PORT: String(freePort()),
    LIVEGATE_MTX_WEBRTC_PORT: String(freePort()),
    LIVEGATE_WEBRTC_UDP_PORT: String(await freeUdpPort()),
    LIVEGATE_MTX_API_PORT: String(freePort()),
    LIVEGATE_MTX_METRICS_PORT: String(freePort()),
    LIVEGATE_MTX_PLAYBACK_PORT: String(freePort()),
    // LIVEGATE_E2E_WORKERS=N runs every livegate of the e2e tests with N HTTP isolates (a test's own
    // LIVEGATE_WORKERS wins); tests that must cover several isolates set LIVEGATE_WORKERS themselves.
    ...(Deno.env.get("LIVEGATE_E2E_WORKERS")
      ? { LIVEGATE_WORKERS: Deno.env.get("LIVEGATE_E2E_WORKERS")! }
      : {}),
    ...extraEnv,
  };
  const cli = (...args: string[]) => {
    const [cmd, a] = entry(args);
    return run(cmd, a, { env, cwd: dataDir });
  };
  const created = await cli("key", "create", "live", "--name", "e2e");
  if (created.code !== 0) throw new Error(`key create failed: ${created.stderr}`);
  const key = created.stdout.split("\n")[1].trim();

  const [cmd, args] = entry(["serve"]);
  // Run from the temp dir: nothing may depend on the working directory.
  const proc = new Deno.Command(cmd, { args, env, cwd: dataDir, stdout: "piped", stderr: "piped" }).spawn();
  const logs: string[] = [];
  let ready!: () => void;
  const readyP = new Promise<void>((r) => (ready = r));
  const pump = (s: ReadableStream<Uint8Array>) =>
    forEachLine(s, (line) => {
      logs.push(line);
      if (Deno.env.get("E2E_VERBOSE")) console.log(`  | ${line}`);
      if (line.startsWith("MediaMTX ready")) ready();
      // With LIVEGATE_MEDIAMTX_MANAGE=false (MediaMTX run by the caller) livegate is ready once it listens.
      if (env.LIVEGATE_MEDIAMTX_MANAGE === "false" && line.startsWith("livegate listening")) ready();
    });
  const pumps = [pump(proc.stdout), pump(proc.stderr)];
  const exited = proc.status.then(async (s) => {
    // Collect the last output (the error message) before reporting.
    await Promise.allSettled(pumps);
    throw new Error(`livegate exited early (code ${s.code}):\n${logs.join("\n")}`);
  });
  const timeout = new Promise<never>((_, rej) =>
    setTimeout(() => rej(new Error(`livegate not ready in 40 s:\n${logs.join("\n")}`)), 40_000)
  );
  try {
    await Promise.race([readyP, exited, timeout]);
  } catch (e) {
    try {
      proc.kill("SIGKILL");
    } catch { /* gone */ }
    await Promise.allSettled(pumps);
    await proc.status;
    await Deno.remove(dataDir, { recursive: true }).catch(() => {});
    throw e;
  }
  exited.catch(() => {});
  return {
    url: `http://127.0.0.1:${port}`,
    env,
    dataDir,
    rtmpPort,
    key,
    logs,
    proc,
    cli,
    async stop() {
      try {
        proc.kill("SIGTERM");
      } catch { /* gone */ }
      await proc.status;
      await Promise.allSettled(pumps);
      await Deno.remove(dataDir, { recursive: true }).catch(() => {});
    },
  };
}

export interface PublishOptions {
  /** ffmpeg output format: flv (RTMP, the default), rtsp or mpegts (SRT). */
  format?: "flv" | "rtsp" | "mpegts";
  /** aac (default; what RTMP carries), opus (what WebRTC needs) or none. */
  audio?: "aac" | "opus" | "none";
  size?: string;
  /** Extra output options, placed before the format. */
  extra?: string[];
}

/** ffmpeg publishing a test pattern with a 440 Hz tone: H.264 (no B-frames) + AAC over RTMP by default. */
export function publish(url: string, seconds = 120, opts: PublishOptions | string[] = {}): Deno.ChildProcess {
  const o: PublishOptions = Array.isArray(opts) ? { extra: opts } : opts;
  const format = o.format ?? "flv";
  const audio = o.audio ?? "aac";
  const args = [
    ...["-hide_banner", "-loglevel", "error", "-re"],
    ...["-f", "lavfi", "-i", `testsrc2=size=${o.size ?? "640x360"}:rate=30:duration=${seconds}`],
    ...(audio === "none"
      ? []
      : ["-f", "lavfi", "-i", `sine=frequency=440:sample_rate=48000:duration=${seconds}`]),
    ...["-c:v", "libx264", "-preset", "veryfast", "-tune", "zerolatency", "-bf", "0", "-g", "30"],
    ...["-pix_fmt", "yuv420p"],
    ...(audio === "aac"
      ? ["-c:a", "aac", "-b:a", "96k"]
      : audio === "opus"
      ? ["-c:a", "libopus", "-b:a", "64k"]
      : []),
    ...(o.extra ?? []),
    ...(format === "rtsp" ? ["-rtsp_transport", "tcp"] : []),
    ...["-f", format, url],
  ];
  return new Deno.Command(needTool("ffmpeg"), { args, stdout: "null", stderr: "piped", stdin: "null" })
    .spawn();
}

/** Waits until `path` is online for `client` (its multivariant playlist answers 200); returns that playlist. */
export function waitHlsOnline(client: Client, path: string, ms = 30_000): Promise<string> {
  return waitFor(`stream '${path}' online`, async () => {
    const r = await client.fetch(`/hls/${path}/index.m3u8`);
    if (r.status === 200) return await r.text();
    await r.body?.cancel();
  }, ms);
}

/** Whether the process exits within `ms`. */
export const exitsWithin = (p: Deno.ChildProcess, ms: number): Promise<boolean> =>
  Promise.race([p.status.then(() => true), new Promise<false>((r) => setTimeout(() => r(false), ms))]);

export async function stopProc(p: Deno.ChildProcess): Promise<void> {
  try {
    p.kill("SIGKILL");
  } catch { /* gone */ }
  await p.status;
  await p.stderr?.cancel().catch(() => {});
}

/** A tiny browser-like client: keeps cookies, never follows redirects by itself. */
export class Client {
  cookies = new Map<string, string>();
  constructor(readonly base: string) {}

  async fetch(path: string, init: RequestInit = {}): Promise<Response> {
    const headers = new Headers(init.headers);
    if (this.cookies.size) headers.set("cookie", [...this.cookies].map(([k, v]) => `${k}=${v}`).join("; "));
    const res = await fetch(this.base + path, { ...init, headers, redirect: "manual" });
    for (const c of res.headers.getSetCookie()) {
      const [pair] = c.split(";");
      const i = pair.indexOf("=");
      const v = pair.slice(i + 1);
      if (v === "" || /max-age=0/i.test(c)) this.cookies.delete(pair.slice(0, i));
      else this.cookies.set(pair.slice(0, i), v);
    }
    return res;
  }

  /** JSON call with the CSRF header, as the dashboard does. */
  // deno-lint-ignore no-explicit-any
  async api(method: string, path: string, body?: unknown): Promise<{ status: number; body: any }> {
    const res = await this.fetch(path, {
      method,
      headers: { "content-type": "application/json", "x-csrf-token": this.cookies.get("lg_csrf") ?? "" },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return { status: res.status, body: await res.json() };
  }

  async login(user: string, password: string, next = "/"): Promise<Response> {
    const page = await (await this.fetch(`/login?next=${encodeURIComponent(next)}`)).text();
    const csrf = /name="csrf" value="([^"]+)"/.exec(page)?.[1] ?? "";
    return await this.fetch("/login", {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ csrf, user, password, next }),
    });
  }
}

export async function waitFor<T>(what: string, fn: () => Promise<T | undefined>, ms = 20_000): Promise<T> {
  const end = Date.now() + ms;
  let last: unknown;
  while (Date.now() < end) {
    try {
      const v = await fn();
      if (v !== undefined) return v;
    } catch (e) {
      last = e;
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`timed out waiting for ${what}${last ? `: ${last}` : ""}`);
}

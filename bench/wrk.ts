// Runs wrk (Debian package) against one URL and parses its report.
import { run } from "../tests/e2e/harness.ts";

const WRK = ["/usr/bin/wrk", "/usr/local/bin/wrk"].find((p) => {
  try {
    return Deno.statSync(p).isFile;
  } catch {
    return false;
  }
});

export interface WrkResult {
  rps: number;
  /** Latency quantiles in ms (wrk --latency: 50/75/90/99). */
  p50: number;
  p90: number;
  p99: number;
  bytesPerSec: number;
  requests: number;
  non2xx: number;
  socketErrors: number;
}

function ms(v: string): number {
  const m = /^([\d.]+)(us|ms|s|m)$/.exec(v.trim());
  if (!m) return NaN;
  return Number(m[1]) * { us: 0.001, ms: 1, s: 1000, m: 60000 }[m[2] as "us" | "ms" | "s" | "m"];
}

function bytes(v: string): number {
  const m = /^([\d.]+)(B|KB|MB|GB)$/.exec(v.trim());
  if (!m) return NaN;
  return Number(m[1]) * { B: 1, KB: 1024, MB: 1024 ** 2, GB: 1024 ** 3 }[m[2] as "B" | "KB" | "MB" | "GB"];
}

export function parseWrk(out: string): WrkResult {
  const q = (p: string) => ms(new RegExp(`^\\s+${p}%\\s+(\\S+)`, "m").exec(out)?.[1] ?? "");
  const sock = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(out);
  return {
    rps: Number(/Requests\/sec:\s+([\d.]+)/.exec(out)?.[1] ?? NaN),
    p50: q("50"),
    p90: q("90"),
    p99: q("99"),
    bytesPerSec: bytes(/Transfer\/sec:\s+(\S+)/.exec(out)?.[1] ?? ""),
    requests: Number(/(\d+) requests in/.exec(out)?.[1] ?? NaN),
    non2xx: Number(/Non-2xx or 3xx responses: (\d+)/.exec(out)?.[1] ?? 0),
    socketErrors: sock ? sock.slice(1).reduce((a, b) => a + Number(b), 0) : 0,
  };
}

export interface WrkOptions {
  connections: number;
  seconds: number;
  headers?: Record<string, string>;
  /** Lua script file (e.g. for POST bodies). */
  script?: string;
  timeoutSeconds?: number;
}

export async function wrk(url: string, o: WrkOptions): Promise<WrkResult> {
  if (!url.startsWith("http://127.0.0.1:")) throw new Error(`bench traffic goes to 127.0.0.1 only: ${url}`);
  const args = [
    "-t1",
    `-c${o.connections}`,
    `-d${o.seconds}s`,
    `--timeout`,
    `${o.timeoutSeconds ?? 5}s`,
    "--latency",
  ];
  for (const [k, v] of Object.entries(o.headers ?? {})) args.push("-H", `${k}: ${v}`);
  if (o.script) args.push("-s", o.script);
  args.push(url);
  if (!WRK) throw new Error("wrk is not installed: run scripts/setup.sh --bench");
  const r = await run(WRK, args);
  if (r.code !== 0) throw new Error(`wrk failed (${r.code}): ${r.stderr}${r.stdout}`);
  const res = parseWrk(r.stdout);
  if (!Number.isFinite(res.rps)) throw new Error(`cannot parse wrk output:\n${r.stdout}`);
  return res;
}

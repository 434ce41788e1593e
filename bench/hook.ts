// MediaMTX's auth hook (POST /internal/mediamtx/auth/<secret>) under wrk: a publish with a valid stream
// key (KV lookup) and a read with livegate's internal credential, each with one connection and under load.
import { join } from "node:path";
import type { Rig } from "./rig.ts";
import { wrk, type WrkResult } from "./wrk.ts";

export interface HookRow {
  action: string;
  connections: number;
  rps: number;
  p50: number;
  p99: number;
  errors: number;
}

export async function hookBench(rig: Rig, seconds: number, loadConnections: number): Promise<HookRow[]> {
  const url = `${rig.lg.url}/internal/mediamtx/auth/${rig.secrets.hook}`;
  const bodies: Record<string, unknown> = {
    "publish (valid key)": {
      user: "",
      password: "",
      token: "",
      ip: "127.0.0.1",
      action: "publish",
      path: "live",
      protocol: "rtmp",
      id: null,
      query: `token=${rig.lg.key}`,
    },
    "read (internal credential)": {
      user: rig.secrets.internalUser,
      password: rig.secrets.internalPass,
      token: "",
      ip: "127.0.0.1",
      action: "read",
      path: "live",
      protocol: "hls",
      id: null,
      query: "",
    },
  };
  const dir = await Deno.makeTempDir({ prefix: "livegate-bench-hook-" });
  const rows: HookRow[] = [];
  try {
    for (const [action, body] of Object.entries(bodies)) {
      // Check the decision first: a benchmark of refusals would measure the wrong thing.
      const check = await fetch(url, { method: "POST", body: JSON.stringify(body) });
      await check.body?.cancel();
      if (check.status !== 200) throw new Error(`hook refused the ${action} request: ${check.status}`);
      const script = join(dir, "post.lua");
      await Deno.writeTextFile(
        script,
        `wrk.method = "POST"\nwrk.body = ${JSON.stringify(JSON.stringify(body))}\n` +
          `wrk.headers["Content-Type"] = "application/json"\n`,
      );
      for (const c of [1, loadConnections]) {
        const r: WrkResult = await wrk(url, { connections: c, seconds, script });
        rows.push({
          action,
          connections: c,
          rps: r.rps,
          p50: r.p50,
          p99: r.p99,
          errors: r.non2xx + r.socketErrors,
        });
      }
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
  return rows;
}

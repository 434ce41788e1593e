// Viewers under a flood of anonymous POSTs: N logged-in LL-HLS viewers (viewers.ts) watch while anonymous
// clients send `POST /login` with wrong passwords from many addresses (X-Forwarded-For; the rig trusts the
// loopback proxy), from another process (post_flood_client.ts); they are answered 401 or 429. A POST that
// changes nothing stored must not clear any cache (src/app/invalidation.ts): the viewers stay on the HLS
// hot path and their part-fetch times stay as they are without the flood. The same viewer load is
// measured without and then with the flood.
import { dirname, join } from "node:path";
import { fileURLToPath as fromFileUrl } from "node:url";
import type { Rig } from "./rig.ts";
import { makeSessions } from "./scale.ts";
import { runViewers, type ViewerStats } from "./viewers.ts";

export interface FloodRow {
  quiet: ViewerStats;
  flood: ViewerStats;
  posts: number;
  postStatus: Record<string, number>;
  postSeconds: number;
}

/** Runs bench/post_flood_client.ts: `total` anonymous wrong-password logins over about `seconds`. */
async function postFlood(base: string, total: number, seconds: number, workers: number) {
  const out = await new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "-A",
      join(dirname(fromFileUrl(import.meta.url)), "post_flood_client.ts"),
      base,
      String(total),
      String(seconds),
      String(workers),
    ],
    stdout: "piped",
    stderr: "inherit",
  }).output();
  const j = JSON.parse(new TextDecoder().decode(out.stdout).trim().split("\n").pop() ?? "{}");
  return { status: j.status as Record<string, number>, seconds: j.seconds as number };
}

/** `viewers` viewers for `seconds` (+ramp) without, then with `posts` anonymous POST /login meanwhile. */
export async function floodScenario(
  rig: Rig,
  viewers: number,
  posts: number,
  seconds: number,
  rampSeconds: number,
): Promise<FloodRow> {
  const cookies = await makeSessions(rig, viewers);
  const url = `${rig.lg.url}/hls/live`;
  const quiet = await runViewers(url, cookies, seconds, rampSeconds);
  const flooding = (async () => {
    await new Promise((r) => setTimeout(r, rampSeconds * 1000));
    return await postFlood(rig.lg.url, posts, seconds, 16);
  })();
  const flood = await runViewers(url, cookies, seconds, rampSeconds);
  const f = await flooding;
  return { quiet, flood, posts, postStatus: f.status, postSeconds: f.seconds };
}

// Viewers under a flood of anonymous POSTs: N logged-in LL-HLS viewers (viewers.ts) watch while anonymous
// clients send `POST /login` with wrong passwords from many addresses (X-Forwarded-For; the rig trusts the
// loopback proxy), most of them answered 401 or 429. A POST that changes nothing stored must not clear any
// cache (src/app/invalidation.ts): the viewers stay on the HLS hot path and their part-fetch times stay as
// they are without the flood. The same viewer load is measured without and then with the flood.
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

/** Sends `total` anonymous wrong-password logins over about `seconds` with `concurrency` workers. */
async function postFlood(base: string, total: number, seconds: number, concurrency: number) {
  const status: Record<string, number> = {};
  let sent = 0;
  const t0 = performance.now();
  const perWorker = Math.ceil(total / concurrency);
  const gap = (seconds * 1000) / perWorker;
  const worker = async (w: number) => {
    for (let i = 0; i < perWorker && sent < total; i++) {
      const due = t0 + i * gap;
      const wait = due - performance.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      sent++;
      const ip = `198.18.${w}.${i % 250}`;
      try {
        const r = await fetch(`${base}/login`, {
          method: "POST",
          redirect: "manual",
          headers: { "content-type": "application/x-www-form-urlencoded", "x-forwarded-for": ip },
          body: new URLSearchParams({ csrf: "x", user: "admin", password: `guess-${w}-${i}`, next: "/" }),
        });
        await r.body?.cancel();
        status[r.status] = (status[r.status] ?? 0) + 1;
      } catch {
        status.error = (status.error ?? 0) + 1;
      }
    }
  };
  await Promise.all(Array.from({ length: concurrency }, (_, w) => worker(w)));
  return { status, seconds: (performance.now() - t0) / 1000 };
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

// How soon LL-HLS shows new frames after the publisher restarts within 2 s (issue 15): the real player page
// in headless Chromium (?mode=hls), ffmpeg publishing over RTMP and over SRT, killed and started again 2 s
// later. Per run: from the restart (ffmpeg started again) and from the moment MediaMTX had the stream again
// (its `since` changed, polled every 100 ms) to the first video frame the page presents in the player's new
// session (requestVideoFrameCallback, counted by an init script). The peer, measured in the same run with
// the same player: MediaMTX's HLS muxer made on the first request (`hlsAlwaysRemux: false`, how livegate
// ran MediaMTX before), against the shipped mediamtx.yml (the muxer starts with the publish). Part of
// `deno task bench` (--only=restart); standalone:
//
//   deno run -A bench/restart.ts [--runs 5]
import type { BrowserContext, Page } from "playwright-core";
import { join } from "node:path";
import { FRAME_PROBE, launchChromium } from "../tests/e2e/chromium.ts";
import {
  ADMIN_PASSWORD,
  Client,
  type Livegate,
  publish,
  type PublishOptions,
  ROOT,
  startLivegate,
  stopProc,
  waitFor,
} from "../tests/e2e/harness.ts";
import { loadAverage } from "./results.ts";

export interface RestartRow {
  ingest: "RTMP" | "SRT";
  /** "livegate" (shipped mediamtx.yml) or "peer" (HLS muxer on demand). */
  setup: "livegate" | "peer";
  /** Per run (ms): restart -> new frame, and MediaMTX has the stream -> new frame. */
  fromRestart: number[];
  fromBack: number[];
  failures: number;
}

export const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length
    ? (s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2)
    : NaN;
};

type Probe = { frames: number; last: number; starts: number };
const look = (page: Page): Promise<Probe> =>
  page.evaluate(() => {
    const g = globalThis as unknown as {
      probe: { frames: number; last: number };
      livegate: { starts: number };
    };
    return { ...g.probe, starts: g.livegate.starts };
  });

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function loggedIn(ctx: BrowserContext, base: string) {
  const login = await ctx.newPage();
  await login.goto(`${base}/login?next=/`);
  await login.fill("input[name=user]", "admin");
  await login.fill("input[name=password]", ADMIN_PASSWORD);
  await Promise.all([login.waitForURL(`${base}/`), login.click("button[type=submit]")]);
  await login.close();
}

/** One restart: returns [ms from restart, ms from MediaMTX having the stream] to the first new frame. */
async function once(
  lg: Livegate,
  ctx: BrowserContext,
  url: string,
  opts: PublishOptions,
  admin: Client,
): Promise<[number, number] | null> {
  const since = async () => {
    const m = await (await admin.fetch("/api/streams/live/media")).json();
    return m.live ? m.since as string : null;
  };
  // An SRT publish killed in the previous run lingers at MediaMTX until a new one replaces it.
  const prev = await since();
  let pub = publish(url, 120, opts);
  const page = await ctx.newPage();
  try {
    await waitFor("live", async () => {
      const s = await since();
      return s !== null && s !== prev ? true : undefined;
    }, 20_000);
    await page.goto(`${lg.url}/watch/live?mode=hls`);
    await waitFor("playing", async () => (await look(page)).frames >= 30 || undefined, 30_000);
    await sleep(2000);
    const old = await since();
    const before = await look(page);
    const killed = Date.now();
    await stopProc(pub);
    await sleep(2000 - (Date.now() - killed));
    pub = publish(url, 120, opts);
    const restarted = Date.now();
    let back = 0;
    let sessionAt = 0;
    const end = restarted + 30_000;
    while (Date.now() < end) {
      if (!back) {
        const s = await since();
        if (s !== null && s !== old) back = Date.now();
      }
      const p = await look(page);
      if (p.starts > before.starts && !sessionAt) sessionAt = Date.now();
      // A frame of the new session (frames of the old buffer may still come after the kill).
      if (sessionAt && p.last >= sessionAt - 50 && p.last > restarted) {
        if (!back) {
          back = await waitFor("back", async () => {
            const s = await since();
            return s !== null && s !== old ? Date.now() : undefined;
          }, 10_000);
        }
        return [p.last - restarted, p.last - back];
      }
      await sleep(50);
    }
    return null;
  } finally {
    await page.close();
    await stopProc(pub);
  }
}

/**
 * `runs` restarts per ingest (RTMP, SRT) and setup (shipped config, and the peer with the muxer on
 * demand), alternating setups so load changes hit both alike. `log` gets progress.
 */
export async function restartBench(runs: number, log = (_: string) => {}): Promise<RestartRow[]> {
  const onDemand = await Deno.makeTempFile({ prefix: "livegate-bench-mtx-", suffix: ".yml" });
  const shipped = await Deno.readTextFile(join(ROOT, "mediamtx.yml"));
  await Deno.writeTextFile(onDemand, shipped.replace(/^hlsAlwaysRemux: true$/m, "hlsAlwaysRemux: false"));
  const setups = [
    ["livegate", await startLivegate()],
    ["peer", await startLivegate({ LIVEGATE_MEDIAMTX_CONFIG: onDemand })],
  ] as const;
  const browser = await launchChromium();
  const rows: RestartRow[] = [];
  try {
    const ctxs = new Map<string, BrowserContext>();
    const admins = new Map<string, Client>();
    for (const [name, lg] of setups) {
      const ctx = await browser.newContext();
      await ctx.addInitScript(FRAME_PROBE);
      await loggedIn(ctx, lg.url);
      ctxs.set(name, ctx);
      const admin = new Client(lg.url);
      await admin.login("admin", ADMIN_PASSWORD);
      admins.set(name, admin);
    }
    for (const ingest of ["RTMP", "SRT"] as const) {
      const byName = new Map(
        setups.map(([name]) => [name, { ingest, setup: name, fromRestart: [], fromBack: [], failures: 0 }]),
      ) as Map<string, RestartRow>;
      for (let i = 0; i < runs; i++) {
        for (const [name, lg] of setups) {
          const url = ingest === "RTMP"
            ? `rtmp://127.0.0.1:${lg.rtmpPort}/live?token=${lg.key}`
            : `srt://127.0.0.1:${lg.env.LIVEGATE_SRT_PORT}?streamid=publish:live::${lg.key}&pkt_size=1316`;
          const opts: PublishOptions = ingest === "RTMP" ? {} : { format: "mpegts" };
          const r = await once(lg, ctxs.get(name)!, url, opts, admins.get(name)!).catch((e) => {
            log(`  ${ingest} ${name}: ${(e as Error).message}`);
            return null;
          });
          const row = byName.get(name)!;
          if (!r) row.failures++;
          else {
            row.fromRestart.push(r[0]);
            row.fromBack.push(r[1]);
          }
          log(
            `  ${ingest} ${name} run ${i + 1}: ${
              r ? `${r[0]} ms after the restart, ${r[1]} ms after back` : "failed"
            }`,
          );
          // The old publish is gone before the next run starts.
          await sleep(1000);
        }
      }
      rows.push(...byName.values());
    }
  } finally {
    await browser.close();
    for (const [, lg] of setups) await lg.stop();
    await Deno.remove(onDemand).catch(() => {});
  }
  return rows;
}

/** "p50 X ms (min-max)" of `xs`. */
export const figures = (xs: number[]) =>
  xs.length ? `p50 ${median(xs).toFixed(0)} ms (${Math.min(...xs)}-${Math.max(...xs)})` : "–";

if (import.meta.main) {
  const { parseArgs } = await import("node:util");
  const { values } = parseArgs({ args: Deno.args, options: { runs: { type: "string", default: "5" } } });
  const load0 = loadAverage();
  const rows = await restartBench(Number(values.runs), (s) => console.error(s));
  const load1 = loadAverage();
  for (const r of rows) {
    const peer = rows.find((p) => p.ingest === r.ingest && p.setup === "peer")!;
    console.log(
      `${r.ingest} ${r.setup}: from restart ${figures(r.fromRestart)}, from back ${figures(r.fromBack)}` +
        (r.setup === "livegate" ? `, ${(median(r.fromBack) / median(peer.fromBack)).toFixed(2)}x peer` : "") +
        ` [${r.fromRestart.join(", ")}] [${r.fromBack.join(", ")}]${
          r.failures ? `, ${r.failures} failed` : ""
        }`,
    );
  }
  console.log(`load average ${load0} -> ${load1}`);
}

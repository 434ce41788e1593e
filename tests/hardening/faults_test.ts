// Faults against real livegate + MediaMTX + ffmpeg, with simulated players that logged in through the form:
// the publisher drops and returns, MediaMTX is killed (the supervisor restarts it, the publisher reconnects),
// livegate itself is restarted (sessions live in KV). After each fault every viewer gets new media again,
// with the same session and without logging in again.
import assert from "node:assert/strict";
import { ADMIN_PASSWORD, Client, publish, startLivegate, stopProc, waitFor } from "../e2e/harness.ts";
import { mediamtxPid, restartLivegate, SimViewer, summarize } from "./viewer.ts";

const VIEWERS = 6;
const RESUME_MS = 45_000;

async function waitAllResumed(viewers: SimViewer[], since: number, what: string) {
  const t0 = Date.now();
  await waitFor(
    `${what}: all viewers get new media`,
    () => Promise.resolve(summarize(viewers, since).stuck === 0 ? true : undefined),
    RESUME_MS,
  ).catch((e) => {
    throw new Error(`${e.message} ${JSON.stringify(summarize(viewers, since))}`);
  });
  return Date.now() - t0;
}

Deno.test({
  name: "hardening (faults): publisher drop, MediaMTX killed, livegate restarted -> viewers resume",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    let lg = await startLivegate();
    let pub: Deno.ChildProcess | undefined;
    const ac = new AbortController();
    const loops: Promise<void>[] = [];
    const report: string[] = [];
    try {
      const rtmp = () => `rtmp://127.0.0.1:${lg.rtmpPort}/live?token=${lg.key}`;
      pub = publish(rtmp(), 600);
      const clients: Client[] = [];
      for (let i = 0; i < VIEWERS; i++) {
        const c = new Client(lg.url);
        assert.equal((await c.login("admin", ADMIN_PASSWORD)).status, 303);
        clients.push(c);
      }
      const cookieOf = (c: Client) => [...c.cookies].map(([k, v]) => `${k}=${v}`).join("; ");
      const viewers = clients.map((c) => new SimViewer(lg.url, cookieOf(c)));
      for (const v of viewers) loops.push(v.run(ac.signal));
      report.push(`start: ${await waitAllResumed(viewers, 0, "start")} ms to first media`);

      // Out-of-range LL-HLS blocking requests (MediaMTX answers them with an empty 400) get a message.
      const master = await (await clients[0].fetch("/hls/live/index.m3u8")).text();
      const variant = master.split("\n").find((l) => l.endsWith(".m3u8") && !l.startsWith("#"))!;
      for (const q of ["_HLS_msn=999999999&_HLS_part=0", "_HLS_msn=0&_HLS_part=0", "_HLS_part=3"]) {
        const r = await clients[0].fetch(`/hls/live/${variant}?${q}`);
        assert.equal(r.status, 400, q);
        assert.match((await r.json()).error, /_HLS_msn/, q);
      }

      // 1. The publisher drops and comes back.
      await stopProc(pub);
      await waitFor("stream offline", async () => {
        const r = await clients[0].fetch("/hls/live/index.m3u8");
        await r.body?.cancel();
        return r.status === 404 ? true : undefined;
      });
      let back = Date.now();
      pub = publish(rtmp(), 600);
      report.push(`publisher returned: ${await waitAllResumed(viewers, back, "publisher returned")} ms`);

      // 2. MediaMTX is killed; the supervisor starts a new one; the publisher (like OBS) reconnects.
      const oldPid = mediamtxPid(lg.logs);
      Deno.kill(oldPid, "SIGKILL");
      const newPid = await waitFor("MediaMTX restarted", () => {
        const p = mediamtxPid(lg.logs);
        return Promise.resolve(p !== oldPid ? p : undefined);
      });
      assert.notEqual(newPid, oldPid);
      await stopProc(pub); // ffmpeg exits on a dropped RTMP connection; make sure it is gone
      await waitFor("MediaMTX serving again", async () => {
        const r = await clients[0].fetch("/hls/live/index.m3u8");
        await r.body?.cancel();
        return r.status === 404 ? true : undefined; // answers again (offline until the publisher is back)
      });
      back = Date.now();
      pub = publish(rtmp(), 600);
      report.push(
        `MediaMTX killed (pid ${oldPid} -> ${newPid}): ${await waitAllResumed(
          viewers,
          back,
          "MediaMTX killed",
        )} ms after the publisher reconnected`,
      );

      // 3. livegate is restarted: same data dir, same ports; the viewers keep their cookies.
      lg = await restartLivegate(lg);
      await stopProc(pub);
      for (const c of clients) {
        const me = await c.fetch("/api/me");
        assert.equal(me.status, 200, "session survived the restart");
        assert.equal((await me.json()).user, "admin");
      }
      back = Date.now();
      pub = publish(rtmp(), 600);
      report.push(
        `livegate restarted: ${await waitAllResumed(
          viewers,
          back,
          "livegate restarted",
        )} ms, 0 sessions lost`,
      );

      const all = summarize(viewers, 0);
      assert.equal(all.statuses[500] ?? 0, 0, `500s: ${JSON.stringify(all.statuses)}`);
      report.push(`HTTP statuses seen by the viewers: ${JSON.stringify(all.statuses)}`);
      console.log(`faults survived (${VIEWERS} viewers):\n  ${report.join("\n  ")}`);
    } finally {
      ac.abort();
      await Promise.allSettled(loops);
      if (pub) await stopProc(pub);
      await lg.stop();
    }
  },
});

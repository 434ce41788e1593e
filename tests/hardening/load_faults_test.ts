// Load + fault: 200 simulated LL-HLS viewers (each with its own session) watch through livegate while
// MediaMTX is killed and restarted by the supervisor and the publisher reconnects. Afterwards every viewer
// must get new media again: 0 stuck. No 500 answers at any point.
import assert from "node:assert/strict";
import { publish, startLivegate, stopProc, waitFor } from "../e2e/harness.ts";
import { makeSessions, mediamtxPid, SimViewer, summarize } from "./viewer.ts";

const VIEWERS = 200;

Deno.test({
  name: "hardening (load + fault): 200 viewers while MediaMTX restarts -> 0 stuck",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const lg = await startLivegate();
    let pub: Deno.ChildProcess | undefined;
    const ac = new AbortController();
    const loops: Promise<void>[] = [];
    try {
      const rtmp = `rtmp://127.0.0.1:${lg.rtmpPort}/live?token=${lg.key}`;
      pub = publish(rtmp, 600);
      const tokens = await makeSessions(lg.dataDir, "admin", VIEWERS);
      const viewers = tokens.map((t) => new SimViewer(lg.url, `lg_session=${t}`));
      for (const v of viewers) loops.push(v.run(ac.signal, 1500));
      const t0 = Date.now();
      await waitFor("all 200 viewers get media", () => {
        const s = summarize(viewers, 0);
        return Promise.resolve(s.stuck === 0 ? true : undefined);
      }, 60_000).catch((e) => {
        throw new Error(`${e.message}: ${JSON.stringify(summarize(viewers, 0))}`);
      });
      const startMs = Date.now() - t0;

      const oldPid = mediamtxPid(lg.logs);
      const killedAt = Date.now();
      Deno.kill(oldPid, "SIGKILL");
      await waitFor(
        "MediaMTX restarted",
        () => Promise.resolve(mediamtxPid(lg.logs) !== oldPid || undefined),
      );
      await stopProc(pub);
      await waitFor(
        "MediaMTX ready again",
        () =>
          Promise.resolve(
            lg.logs.some((l, i) =>
              i > lg.logs.findLastIndex((x) => x.includes(`pid ${oldPid}`)) && /\[API\] started/.test(l)
            ) || undefined,
          ),
      );
      const back = Date.now();
      // The publisher comes back as OBS does: it tries again when its connection is refused (MediaMTX's
      // API may answer a moment before its RTMP listener does, or a first connect lands on a stopping one).
      let republished = 0;
      const republish = () => {
        const p = publish(rtmp, 600);
        republished++;
        p.status.then(() => {
          if (pub === p && !ac.signal.aborted) setTimeout(() => pub === p && (pub = republish()), 500);
        });
        return p;
      };
      pub = republish();
      // Resumed = two new segments after the publisher is back: playing on, not one lucky fetch.
      await waitFor("every viewer resumes", () => {
        const s = summarize(viewers, back, 2);
        return Promise.resolve(s.stuck === 0 ? true : undefined);
      }, 60_000).catch((e) => {
        throw new Error(
          `${e.message} (publisher started ${republished}x): ${JSON.stringify(summarize(viewers, back, 2))}`,
        );
      });
      const resumeMs = Date.now() - back;
      const s = summarize(viewers, back, 2);
      assert.equal(s.stuck, 0);
      assert.equal(s.statuses[500] ?? 0, 0, `500 answers: ${JSON.stringify(s.statuses)}`);
      const segments = viewers.reduce((a, v) => a + v.segments, 0);
      console.log(
        `200 viewers: all playing ${startMs} ms after start; MediaMTX killed, back after ${
          back - killedAt
        } ms; ` +
          `all ${VIEWERS} resumed ${resumeMs} ms after the publisher reconnected (started ${republished}x); ` +
          `stuck ${s.stuck}; ` +
          `segments fetched ${segments}; statuses ${JSON.stringify(s.statuses)}`,
      );
    } finally {
      ac.abort();
      await Promise.allSettled(loops);
      const last = pub;
      pub = undefined; // no more restarts
      if (last) await stopProc(last);
      await lg.stop();
    }
  },
});

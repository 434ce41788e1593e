// SRT and RTSP publishers use the same stream keys as RTMP (through the same hook).
import assert from "node:assert/strict";
import { ADMIN_PASSWORD, Client, publish, startLivegate, stopProc, waitFor } from "./harness.ts";

async function liveStatus(c: Client): Promise<number> {
  const r = await c.fetch("/hls/live/index.m3u8");
  await r.body?.cancel();
  return r.status;
}

Deno.test({
  name: "e2e: SRT and RTSP publish with a key; a wrong key is refused",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn(t) {
    const lg = await startLivegate();
    const c = new Client(lg.url);
    try {
      assert.equal((await c.login("admin", ADMIN_PASSWORD)).status, 303);
      const srt = (key: string) =>
        `srt://127.0.0.1:${lg.env.LIVEGATE_SRT_PORT}?streamid=publish:live::${key}&pkt_size=1316`;
      const rtsp = (key: string) => `rtsp://127.0.0.1:${lg.env.LIVEGATE_RTSP_PORT}/live?token=${key}`;
      const cases: [string, "mpegts" | "rtsp", (k: string) => string][] = [
        ["SRT", "mpegts", srt],
        ["RTSP", "rtsp", rtsp],
      ];
      for (const [name, format, url] of cases) {
        await t.step(`${name}: wrong key refused`, async () => {
          const bad = publish(url("lg_wrong"), 60, { format, audio: "none" });
          const st = await Promise.race([
            bad.status,
            new Promise<null>((r) => setTimeout(() => r(null), 8000)),
          ]);
          await stopProc(bad);
          assert.ok(st === null || st.code !== 0, "ffmpeg must not succeed");
          assert.equal(await liveStatus(c), 404, "nothing went live");
        });
        await t.step(`${name}: valid key goes live`, async () => {
          const p = publish(url(lg.key), 60, { format, audio: "none" });
          try {
            await waitFor(`${name} live`, async () => (await liveStatus(c)) === 200 ? true : undefined);
          } finally {
            await stopProc(p);
          }
          await waitFor(`${name} offline`, async () => (await liveStatus(c)) === 404 ? true : undefined);
        });
      }
    } finally {
      await lg.stop();
    }
  },
});

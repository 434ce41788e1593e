// SRT and RTSP publishers use the same stream keys as RTMP (through the same hook).
import assert from "node:assert/strict";
import { ADMIN_PASSWORD, Client, needTool, startLivegate, stopProc, waitFor } from "./harness.ts";

function ffmpegPublish(format: string, url: string, extra: string[] = []): Deno.ChildProcess {
  const args = [
    ...[
      "-hide_banner",
      "-loglevel",
      "error",
      "-re",
      "-f",
      "lavfi",
      "-i",
      "testsrc2=size=320x240:rate=25:duration=60",
    ],
    ...["-c:v", "libx264", "-preset", "veryfast", "-g", "25", ...extra, "-f", format, url],
  ];
  return new Deno.Command(needTool("ffmpeg"), { args, stdout: "null", stderr: "piped", stdin: "null" })
    .spawn();
}

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
      const cases: [string, string, (k: string) => string, string[]][] = [
        ["SRT", "mpegts", srt, []],
        ["RTSP", "rtsp", rtsp, ["-rtsp_transport", "tcp"]],
      ];
      for (const [name, format, url, extra] of cases) {
        await t.step(`${name}: wrong key refused`, async () => {
          const bad = ffmpegPublish(format, url("lg_wrong"), extra);
          const st = await Promise.race([
            bad.status,
            new Promise<null>((r) => setTimeout(() => r(null), 8000)),
          ]);
          await stopProc(bad);
          assert.ok(st === null || st.code !== 0, "ffmpeg must not succeed");
          assert.equal(await liveStatus(c), 404, "nothing went live");
        });
        await t.step(`${name}: valid key goes live`, async () => {
          const p = ffmpegPublish(format, url(lg.key), extra);
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

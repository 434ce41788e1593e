// No secret reaches a log line: a run with the mistakes publishers and viewers make in practice (the key in
// the RTMP path, a key as SRT stream id, a wrong password as key, a key in a WHIP ?token=, share links in
// URLs, wrong logins), with real MediaMTX and ffmpeg; then livegate's whole output (MediaMTX's lines
// included) is scanned for every secret the run created or sent. The refusal says which form to use.
import assert from "node:assert/strict";
import { ADMIN_PASSWORD, Client, needTool, run, startLivegate, waitFor } from "../e2e/harness.ts";

/** ffmpeg pushing 2 s of test pattern to `url` (expected to be refused); its exit is not checked. */
function push(url: string, format: "flv" | "mpegts" | "rtsp") {
  return run(needTool("ffmpeg"), [
    ...[
      "-hide_banner",
      "-loglevel",
      "error",
      "-re",
      "-f",
      "lavfi",
      "-i",
      "testsrc2=size=160x90:rate=10:duration=2",
    ],
    ...["-c:v", "libx264", "-preset", "ultrafast", "-g", "10", "-pix_fmt", "yuv420p"],
    ...(format === "rtsp" ? ["-rtsp_transport", "tcp"] : []),
    ...["-f", format, url],
  ]);
}

Deno.test({
  name: "hardening: no stream key, share token, ticket or password reaches livegate's or MediaMTX's log",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const lg = await startLivegate();
    try {
      const admin = new Client(lg.url);
      assert.equal((await admin.login("admin", ADMIN_PASSWORD)).status, 303);
      const created = await admin.api("POST", "/api/streams/live/keys", { name: "obs" });
      assert.equal(created.status, 201);
      const apiKey: string = created.body.key;
      assert.equal((await admin.api("PATCH", "/api/streams/live", { visibility: "unlisted" })).status, 200);
      const share = await admin.api("POST", "/api/streams/live/shares", { hours: 1 });
      const token: string = share.body.token;
      const user = await admin.api("POST", "/api/users", { name: "vera", role: "viewer" });
      const veraPassword: string = user.body.password;
      const wrongPassword = "not-a-real-password-7731";
      const junkKey = "hunter2hunter2-typed-by-hand"; // a "key" of no known shape
      const secrets = [lg.key, apiKey, token, veraPassword, ADMIN_PASSWORD, wrongPassword, junkKey];

      const rtmp = `rtmp://127.0.0.1:${lg.rtmpPort}`;
      const srt = `srt://127.0.0.1:${lg.env.LIVEGATE_SRT_PORT}`;
      const rtsp = `rtsp://127.0.0.1:${lg.env.LIVEGATE_RTSP_PORT}`;
      await push(`${rtmp}/live/${lg.key}`, "flv"); // the common OBS mistake: the key in the path
      await push(`${rtmp}/${apiKey}`, "flv");
      await push(`${rtmp}/live?token=${junkKey}`, "flv");
      await push(`${srt}?streamid=publish:${lg.key}&pkt_size=1316`, "mpegts");
      await push(`${srt}?streamid=publish:live::${junkKey}&pkt_size=1316`, "mpegts");
      await push(`${rtsp}/live/${apiKey}`, "rtsp");
      const whip = await fetch(`${lg.url}/whip/live?token=${apiKey}`, {
        method: "POST",
        headers: { "content-type": "application/sdp", authorization: `Bearer ${junkKey}` },
        body: "v=0\r\n",
      });
      await whip.body?.cancel();
      for (
        const p of [
          `/hls/live/index.m3u8?share=${token}`,
          `/watch/live?share=${token}`,
          `/whep/live?share=${token}`,
        ]
      ) {
        await (await fetch(lg.url + p)).body?.cancel();
      }
      const viewer = new Client(lg.url);
      assert.equal((await viewer.login("vera", wrongPassword)).status, 401);
      assert.equal((await viewer.login("vera", veraPassword)).status, 303);

      await waitFor(
        "the refusals logged",
        () => Promise.resolve(lg.logs.filter((l) => l.includes("refused publish")).length >= 5 || undefined),
        20_000,
      );
      // The refusal of a key in the path says which form to use, without the path.
      assert.ok(
        lg.logs.some((l) =>
          /refused publish to an unregistered path \(\d+ characters, not shown\).*\?token=KEY/.test(l)
        ),
        lg.logs.filter((l) => l.includes("refused")).join("\n"),
      );
      const all = lg.logs.join("\n");
      for (const s of secrets) {
        assert.ok(
          !all.includes(s),
          `a secret (${s.slice(0, 6)}…) is in the log:\n${lg.logs.filter((l) => l.includes(s)).join("\n")}`,
        );
        assert.ok(
          !all.includes(s.slice(0, 16)),
          `a secret's first 16 characters (${s.slice(0, 6)}…) are in the log`,
        );
      }
    } finally {
      await lg.stop();
    }
  },
});

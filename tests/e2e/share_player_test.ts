// A share link given to an external player: ffmpeg (as VLC or a smart TV would) plays
// /hls/<path>/index.m3u8?share=TOKEN of an unlisted stream through every request it makes (variant
// playlists, init, parts, segments, blocking reloads), with real MediaMTX; after the link is revoked the
// next request is refused; without the token nothing plays.
import assert from "node:assert/strict";
import {
  ADMIN_PASSWORD,
  Client,
  needTool,
  publish,
  run,
  startLivegate,
  stopProc,
  waitHlsOnline,
} from "./harness.ts";

Deno.test({
  name: "e2e: an external player (ffmpeg) plays an unlisted stream from its share link, until it is revoked",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const lg = await startLivegate({
      // Two HTTP isolates (issue #20 item 4): the same test, the port served by two workers.
      LIVEGATE_WORKERS: "2",
    });
    const pub = publish(`rtmp://127.0.0.1:${lg.rtmpPort}/live?token=${lg.key}`, 120, { size: "320x180" });
    try {
      const admin = new Client(lg.url);
      assert.equal((await admin.login("admin", ADMIN_PASSWORD)).status, 303);
      assert.equal((await admin.api("PATCH", "/api/streams/live", { visibility: "unlisted" })).status, 200);
      const share = await admin.api("POST", "/api/streams/live/shares", { hours: 1 });
      assert.equal(share.status, 201);
      const token: string = share.body.token;
      await waitHlsOnline(admin, "live");
      const url = `${lg.url}/hls/live/index.m3u8?share=${encodeURIComponent(token)}`;
      const play = (u: string) =>
        run(needTool("ffmpeg"), [
          "-hide_banner",
          "-loglevel",
          "error",
          "-i",
          u,
          "-t",
          "3",
          "-f",
          "null",
          "-",
        ]);

      // The playlists handed to the player carry the share in every URI.
      const multi = await (await fetch(url)).text();
      assert.match(multi, /video1_stream\.m3u8\?share=/);
      const r = await play(url);
      assert.equal(r.code, 0, `ffmpeg with the share link: ${r.stderr}`);

      const anon = await play(`${lg.url}/hls/live/index.m3u8`);
      assert.notEqual(anon.code, 0, "without the share link nothing plays");

      const id = token.split(".")[0];
      assert.equal((await admin.api("DELETE", `/api/streams/live/shares/${id}`)).status, 200);
      const variant = await fetch(`${lg.url}/hls/live/video1_stream.m3u8?share=${encodeURIComponent(token)}`);
      assert.equal(variant.status, 401, "a revoked link stops at the player's next request");
      await variant.body?.cancel();
      const after = await play(url);
      assert.notEqual(after.code, 0, "a revoked link plays no more");
    } finally {
      await stopProc(pub);
      await lg.stop();
    }
  },
});

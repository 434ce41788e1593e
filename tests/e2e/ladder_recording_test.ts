// Recording a quality ladder's rungs (ladder.recordRungs), with real MediaMTX and ffmpeg, one publish
// (640x360, one 180p rung), the stream itself recorded (the server's default): off (the default), only the
// source is recorded (no rung directory, nothing listed); switched on while live, MediaMTX records the
// rung path too without the ladder's ffmpeg restarting, the stream's recordings list the rung, the rung's
// spans are listed and a range downloads as a 320x180 MP4.
import assert from "node:assert/strict";
import { join } from "node:path";
import { ADMIN_PASSWORD, Client, publish, startLivegate, stopProc, videoSize, waitFor } from "./harness.ts";

const files = (dir: string) => {
  try {
    return [...Deno.readDirSync(dir)].filter((e) => e.isFile && e.name.endsWith(".mp4")).length;
  } catch {
    return 0;
  }
};

Deno.test({
  name: "e2e: ladder.recordRungs: off records the source only; on records the rung, listed and downloadable",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn(t) {
    const lg = await startLivegate();
    const admin = new Client(lg.url);
    let pub: Deno.ChildProcess | undefined;
    const rec = join(lg.dataDir, "recordings");
    try {
      assert.equal((await admin.login("admin", ADMIN_PASSWORD)).status, 303);
      const set = await admin.api("PATCH", "/api/streams/live", {
        ladder: { enabled: true, rungs: [{ height: 180, kbps: 250 }] },
      });
      assert.equal(set.status, 200);
      assert.notEqual(set.body.ladder.recordRungs, true, "off by default");
      pub = publish(`rtmp://127.0.0.1:${lg.rtmpPort}/live?token=${lg.key}`, 300);
      await waitFor("the 180p rung live", async () => {
        const r = await admin.api("GET", "/api/streams/live/rungs");
        return r.status === 200 && r.body.rungs.length === 1 ? true : undefined;
      }, 60_000);

      await t.step("recordRungs off: the source is recorded, the rung is not", async () => {
        await waitFor(
          "the source's recording",
          () => Promise.resolve(files(join(rec, "live")) > 0 || undefined),
          30_000,
        );
        // The rung has been live for a while: long enough for a recording to have started.
        await new Promise((r) => setTimeout(r, 5000));
        assert.equal(files(join(rec, "live", "180p")), 0, "no rung recording");
        const list = await admin.api("GET", "/api/recordings/live");
        assert.equal(list.status, 200);
        assert.deepEqual(list.body.rungs, []);
        assert.ok(list.body.spans.length > 0, "the source's spans are listed");
        const rung = await admin.api("GET", "/api/recordings/live/180p");
        assert.equal(rung.status, 200);
        assert.deepEqual(rung.body.spans, []);
        assert.equal(list.body.recording, true);
        assert.equal(rung.body.recording, false, "the rung says it is not recorded");
      });

      await t.step(
        "recordRungs on: the rung is recorded, listed under the stream and downloadable",
        async () => {
          const pid = (await admin.api("GET", "/api/streams/live/ladder")).body.status.pid as number;
          const on = await admin.api("PATCH", "/api/streams/live", { ladder: { recordRungs: true } });
          assert.equal(on.status, 200, JSON.stringify(on.body));
          assert.equal(on.body.ladder.recordRungs, true);
          assert.equal(
            (await admin.api("PATCH", "/api/streams/live", { ladder: { recordRungs: "yes" } })).status,
            400,
          );
          await waitFor(
            "the rung's recording on disk",
            () => Promise.resolve(files(join(rec, "live", "180p")) > 0 || undefined),
            30_000,
          );
          const spans = await waitFor("the rung's spans", async () => {
            const r = await admin.api("GET", "/api/recordings/live/180p");
            return r.status === 200 && r.body.spans.length && r.body.spans[0].duration >= 2
              ? r.body.spans
              : undefined;
          }, 30_000);
          assert.deepEqual((await admin.api("GET", "/api/recordings/live")).body.rungs, ["180p"]);
          assert.equal((await admin.api("GET", "/api/recordings/live/180p")).body.recording, true);
          const page = await (await admin.fetch("/recordings/live")).text();
          assert.match(page, /href="\/recordings\/live\/180p"/);
          assert.equal(
            (await admin.api("GET", "/api/streams/live/ladder")).body.status.pid,
            pid,
            "the ladder's ffmpeg did not restart",
          );
          // A range of the rung's recording: an MP4 of the rung's size.
          const q = new URLSearchParams({ start: spans[0].start, duration: "1", format: "mp4" });
          const media = await admin.fetch(`/recordings/live/180p/media?${q}`);
          assert.equal(media.status, 200);
          const file = join(lg.dataDir, "rung.mp4");
          await Deno.writeFile(file, new Uint8Array(await media.arrayBuffer()));
          assert.equal(await videoSize(file), "320x180");
        },
      );
    } finally {
      if (pub) await stopProc(pub);
      await lg.stop();
    }
  },
});

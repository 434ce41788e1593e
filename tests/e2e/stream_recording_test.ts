// A stream's own recording choice (issue 24 item 7): "do not record" on the stream page (PATCH
// {"record": false}) reaches MediaMTX at once (no files for that stream while others are recorded), the
// recordings API and the stream page say so; back to the server's setting records again.
import assert from "node:assert/strict";
import { join } from "node:path";
import { ADMIN_PASSWORD, Client, publish, startLivegate, waitFor } from "./harness.ts";

const files = (dir: string) => {
  try {
    return [...Deno.readDirSync(dir)].length;
  } catch {
    return 0;
  }
};

Deno.test({
  name:
    "e2e/recording: a stream's own 'do not record' is applied to MediaMTX and shown; null goes back to the default",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const lg = await startLivegate();
    try {
      const admin = new Client(lg.url);
      assert.equal((await admin.login("admin", ADMIN_PASSWORD)).status, 303);
      assert.equal(
        (await admin.api("POST", "/api/streams", { path: "quiet", visibility: "private" })).status,
        201,
      );
      const off = await admin.api("PATCH", "/api/streams/quiet", { record: false });
      assert.equal(off.status, 200, JSON.stringify(off.body));
      assert.equal(off.body.stream.record, false);
      assert.equal((await admin.api("PATCH", "/api/streams/quiet", { record: "no" })).status, 400);
      const key = (await admin.api("POST", "/api/streams/quiet/keys", { name: "t" })).body.key;
      const page = await (await admin.fetch("/admin/streams/quiet")).text();
      assert.match(page, /id="recording-badge">not recorded</);
      assert.match(await (await admin.fetch("/admin/streams/live")).text(), /recording, kept 1 day/);

      // Both publish for a few seconds: only 'live' (server default: record) gets files.
      const a = publish(`rtmp://127.0.0.1:${lg.rtmpPort}/quiet?token=${key}`, 4);
      const b = publish(`rtmp://127.0.0.1:${lg.rtmpPort}/live?token=${lg.key}`, 4);
      assert.equal((await a.status).code, 0);
      assert.equal((await b.status).code, 0);
      await a.stderr.cancel();
      await b.stderr.cancel();
      const rec = join(lg.dataDir, "recordings");
      await waitFor(
        "live's recording",
        () => Promise.resolve(files(join(rec, "live")) > 0 || undefined),
        15_000,
      );
      assert.equal(files(join(rec, "quiet")), 0, "nothing recorded for quiet");
      assert.equal((await (await admin.fetch("/api/recordings/quiet")).json()).recording, false);

      // Back to the server's setting: recorded again.
      const back = await admin.api("PATCH", "/api/streams/quiet", { record: null });
      assert.equal(back.status, 200);
      assert.equal((await (await admin.fetch("/api/recordings/quiet")).json()).recording, true);
      const c = publish(`rtmp://127.0.0.1:${lg.rtmpPort}/quiet?token=${key}`, 4);
      assert.equal((await c.status).code, 0);
      await c.stderr.cancel();
      await waitFor(
        "quiet's recording",
        () => Promise.resolve(files(join(rec, "quiet")) > 0 || undefined),
        15_000,
      );
    } finally {
      await lg.stop();
    }
  },
});

// End to end with real MediaMTX + ffmpeg: a streamer publishing with their own key is demoted by an admin;
// the running publish ends at once (MediaMTX asks the hook only when a publish starts, so livegate kicks
// it: src/api/lost-publish.ts) and the key no longer publishes. Another stream goes on.
import assert from "node:assert/strict";
import {
  ADMIN_PASSWORD,
  Client,
  exitsWithin as exited,
  publish,
  startLivegate,
  stopProc,
  waitHlsOnline,
} from "./harness.ts";

Deno.test({
  name: "e2e: demoting a streamer ends their running publish; their key is refused afterwards",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const lg = await startLivegate();
    const rtmp = `rtmp://127.0.0.1:${lg.rtmpPort}`;
    const admin = new Client(lg.url);
    const sam = new Client(lg.url);
    const pubs: Deno.ChildProcess[] = [];
    try {
      assert.equal((await admin.login("admin", ADMIN_PASSWORD)).status, 303);
      const u = await admin.api("POST", "/api/users", { name: "sam", role: "streamer" });
      assert.equal(u.status, 201, JSON.stringify(u.body));
      const s = await admin.api("POST", "/api/streams", {
        path: "studio",
        visibility: "public",
        owner: "sam",
      });
      assert.equal(s.status, 201, JSON.stringify(s.body));
      assert.equal((await sam.login("sam", u.body.password)).status, 303);
      const k = await sam.api("POST", "/api/streams/studio/keys", { name: "obs" });
      assert.equal(k.status, 201, JSON.stringify(k.body));

      pubs.push(publish(`${rtmp}/studio?token=${k.body.key}`));
      pubs.push(publish(`${rtmp}/live?token=${lg.key}`)); // the admin's stream, not sam's
      for (const path of ["studio", "live"]) await waitHlsOnline(admin, path);

      const d = await admin.api("PATCH", "/api/users/sam", { role: "viewer" });
      assert.equal(d.status, 200, JSON.stringify(d.body));
      assert.deepEqual(d.body.kicked, ["studio"]);
      assert.ok(await exited(pubs[0], 15_000), "sam's ffmpeg is disconnected");
      assert.equal(await exited(pubs[1], 3000), false, "the admin's publish goes on");

      const again = publish(`${rtmp}/studio?token=${k.body.key}`, 5);
      assert.notEqual((await again.status).code, 0, "the demoted streamer's key is refused");
      await again.stderr.cancel();
    } finally {
      for (const p of pubs) await stopProc(p);
      await lg.stop();
    }
  },
});

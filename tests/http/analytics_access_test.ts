// Who may read analytics (the door decides: "manage" for a stream's, "administer" for the server's,
// "dashboard" for the Analytics page): admins everything, a streamer their own streams only, viewers and
// anonymous callers nothing; a stream another streamer owns is refused alike whether or not it exists.
import assert from "node:assert/strict";
import { Jar, PASSWORD, testApp } from "./helpers.ts";
import { addUser } from "../../src/store/users.ts";
import { createStream } from "../../src/store/streams.ts";

Deno.test("analytics API and page: admins all, owners theirs, others refused", async () => {
  const t = await testApp();
  try {
    await addUser(t.kv, "sam", "sam-password-123", "streamer");
    await addUser(t.kv, "max", "max-password-123", "streamer");
    await addUser(t.kv, "vic", "vic-password-123", "viewer");
    await createStream(t.kv, "sams", { owner: "sam", visibility: "public" });
    await createStream(t.kv, "maxs", { owner: "max", visibility: "public" });
    const as = async (user: string | null, password = "") => {
      const j = new Jar(t.app, "192.0.2.40");
      if (user) assert.equal((await j.login(user, password)).status, 303);
      return j;
    };
    const status = async (j: Jar, path: string) => {
      const r = await j.req(path);
      await r.body?.cancel();
      return r.status;
    };
    const admin = await as("admin", PASSWORD);
    const sam = await as("sam", "sam-password-123");
    const vic = await as("vic", "vic-password-123");
    const anon = await as(null);

    assert.equal(await status(admin, "/api/streams/sams/analytics"), 200);
    assert.equal(await status(admin, "/api/analytics/server"), 200);
    assert.equal(await status(admin, "/admin/analytics"), 200);
    assert.equal(await status(sam, "/api/streams/sams/analytics"), 200);
    assert.equal(await status(sam, "/api/streams/maxs/analytics"), 403);
    assert.equal(
      await status(sam, "/api/streams/nosuch/analytics"),
      403,
      "same refusal as an existing stream",
    );
    assert.equal(await status(sam, "/api/analytics/server"), 403);
    const page = await (await sam.req("/admin/analytics")).text();
    assert.match(page, /data-analytics="sams"/);
    assert.doesNotMatch(page, /data-analytics="maxs"|data-analytics="server"/);
    assert.equal(await status(vic, "/api/streams/sams/analytics"), 403);
    assert.equal(await status(vic, "/admin/analytics"), 403);
    assert.equal(await status(anon, "/api/streams/sams/analytics"), 401);
    assert.equal(await status(anon, "/api/analytics/server"), 401);
    assert.equal(await status(anon, "/admin/analytics"), 302);

    // An empty store answers an empty report, JSON and CSV.
    const r = await (await admin.req("/api/streams/sams/analytics")).json();
    assert.equal(r.summary.peak, 0);
    assert.deepEqual(r.series.t, []);
    const csv = await (await admin.req("/api/streams/sams/analytics?format=csv")).text();
    assert.equal(csv, "time,t_ms,viewers,peak,webrtc,hls,share,bitrate_bps,watch_seconds\r\n");
    // Bad parameters name themselves.
    const bad = await admin.req("/api/streams/sams/analytics?from=2026-13-45");
    assert.equal(bad.status, 400);
    assert.match((await bad.json()).error, /^from:/);
  } finally {
    t.close();
  }
});

// Issue 25 (low), privacy: a streamer sees who watches their stream but not the viewers' IP addresses, user
// agents or session ids, nor MediaMTX's reader ids (admins still see all of it), in
// GET /api/streams/<path>/live and on the stream page; recordings' disk figures are shown per stream only
// for streams the user may see, and the file system's own figures only to admins. Real livegate + MediaMTX
// (the live panel reads MediaMTX's API) and an ffmpeg publisher, so the stream has real readers and a real
// recording on disk.
import assert from "node:assert/strict";
import { join } from "node:path";
import {
  ADMIN_PASSWORD,
  Client,
  publish,
  startLivegate,
  stopProc,
  waitFor,
  waitHlsOnline,
} from "../e2e/harness.ts";

Deno.test("hardening: streamers see their viewers without network details; disk figures only where allowed", async () => {
  const lg = await startLivegate();
  let pub: Deno.ChildProcess | undefined;
  try {
    const admin = new Client(lg.url);
    assert.equal((await admin.login("admin", ADMIN_PASSWORD)).status, 303);
    for (const [name, role] of [["sam", "streamer"], ["vic", "viewer"]]) {
      const r = await admin.api("POST", "/api/users", { name, role, password: `${name}-password-123` });
      assert.equal(r.status, 201, JSON.stringify(r.body));
    }
    // 'live' (the harness's key): public, owned by sam. 'secret': private, for someone else only.
    assert.equal(
      (await admin.api("PATCH", "/api/streams/live", { owner: "sam", visibility: "public" })).status,
      200,
    );
    assert.equal(
      (await admin.api("POST", "/api/streams", { path: "secret", visibility: "private", allow: ["someone"] }))
        .status,
      201,
    );
    const secretDir = join(lg.dataDir, "recordings", "secret");
    await Deno.mkdir(secretDir, { recursive: true });
    await Deno.writeFile(join(secretDir, "2026-01-01_00-00-00-000000.mp4"), new Uint8Array(123_457));

    pub = publish(`rtmp://127.0.0.1:${lg.rtmpPort}/live?token=${lg.key}`, 60);
    await waitHlsOnline(admin, "live");
    const sam = new Client(lg.url);
    assert.equal((await sam.login("sam", "sam-password-123")).status, 303);
    const vic = new Client(lg.url);
    assert.equal((await vic.login("vic", "vic-password-123")).status, 303);
    const anon = new Client(lg.url);
    for (const c of [admin, vic, anon]) {
      const r = await c.fetch("/hls/live/index.m3u8", { headers: { "user-agent": "PrivacyProbe/1.0" } });
      assert.equal(r.status, 200);
      await r.body?.cancel();
    }

    // The owner: viewers (who, what kind, since when) and readers by type only.
    const owner = await sam.api("GET", "/api/streams/live/live");
    assert.equal(owner.status, 200, JSON.stringify(owner.body));
    assert.equal(owner.body.viewers.length, 3, JSON.stringify(owner.body.viewers));
    for (const v of owner.body.viewers) {
      assert.deepEqual(Object.keys(v).sort(), ["kind", "lastSeen", "since", "user"], JSON.stringify(v));
    }
    assert.deepEqual(
      owner.body.viewers.map((v: { user: string | null }) => v.user ?? "(anonymous)").sort(),
      ["(anonymous)", "admin", "vic"],
    );
    // MediaMTX's readers as livegate last read them (on a timer): at least its HLS muxer, once read.
    const readers = await waitFor("MediaMTX readers listed", async () => {
      const r = (await sam.api("GET", "/api/streams/live/live")).body.readers as unknown[];
      return r.length >= 1 ? r : undefined;
    }, 15_000);
    for (const r of [...owner.body.readers, ...readers]) assert.deepEqual(Object.keys(r), ["type"]);
    const text = JSON.stringify({ viewers: owner.body.viewers, readers: owner.body.readers });
    assert.doesNotMatch(text, /127\.0\.0\.1|PrivacyProbe|[0-9a-f]{64}/, "no address, agent or session id");

    // An admin still sees everything.
    const full = await admin.api("GET", "/api/streams/live/live");
    assert.equal(full.body.viewers.length, 3);
    for (const v of full.body.viewers) {
      assert.equal(v.ip, "127.0.0.1");
      assert.equal(v.userAgent, "PrivacyProbe/1.0");
      assert.ok(v.id);
    }
    assert.ok(full.body.readers.every((r: { id?: string }) => typeof r.id === "string"));

    // The stream page tells the live panel (static/admin.ts) whether to show addresses and revoke buttons.
    const page = await (await sam.fetch("/admin/streams/live")).text();
    assert.match(page, /id="live" data-path="live" data-admin=""/);
    const adminPage = await (await admin.fetch("/admin/streams/live")).text();
    assert.match(adminPage, /id="live" data-path="live" data-admin="1"/);

    // Recordings: wait for a segment of 'live' on disk.
    await waitFor("a recording of 'live'", async () => {
      const r = await admin.api("GET", "/api/recordings/live");
      return r.status === 200 && r.body.disk.bytes > 0 ? true : undefined;
    }, 30_000);
    for (const [who, c] of [["sam", sam], ["vic", vic]] as const) {
      const index = await (await c.fetch("/recordings")).text();
      assert.match(index, /href="\/recordings\/live"/, who);
      assert.doesNotMatch(index, /secret/, `${who}: a stream they may not see is not mentioned`);
      assert.doesNotMatch(index, /free of/, `${who}: no file system figures`);
      assert.doesNotMatch(index, /120\.6 KiB/, `${who}: the hidden stream's size is not in any total`);
      const j = await c.api("GET", "/api/recordings/live");
      assert.equal(j.status, 200);
      assert.ok(j.body.disk.bytes > 0);
      assert.equal(j.body.disk.fs, null, `${who}: no file system figures in the API`);
      assert.equal(j.body.disk.low, false);
      const hidden = await c.fetch("/api/recordings/secret");
      assert.equal(hidden.status, 403);
      await hidden.body?.cancel();
    }
    const adminIndex = await (await admin.fetch("/recordings")).text();
    assert.match(adminIndex, /href="\/recordings\/secret"/);
    assert.match(adminIndex, /120\.6 KiB/);
    assert.match(adminIndex, /free of/);
    const adminJson = await admin.api("GET", "/api/recordings/live");
    assert.ok(adminJson.body.disk.fs && adminJson.body.disk.fs.sizeBytes > 0);
  } finally {
    if (pub) await stopProc(pub);
    await lg.stop();
  }
});

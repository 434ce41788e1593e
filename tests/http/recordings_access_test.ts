// Who may see recordings (in-process, no MediaMTX): a login is required even for public streams, the
// stream's viewer list applies, and bad ranges are refused with 400 before anything goes upstream.
import assert from "node:assert/strict";
import { Jar, testApp } from "./helpers.ts";
import { addUser } from "../../src/store/users.ts";
import { createStream } from "../../src/store/streams.ts";

Deno.test("recordings: login required (also for public streams); viewer list applies; bad input is 400", async () => {
  const t = await testApp({ LIVEGATE_MTX_PLAYBACK_PORT: "1" });
  try {
    await createStream(t.kv, "open", { visibility: "public" });
    await createStream(t.kv, "vip", { visibility: "private", allow: ["alice"] });
    await addUser(t.kv, "bob", "bob-password-123", "viewer");
    const anon = new Jar(t.app);
    // Public live stream, but its recordings need a login.
    for (
      const u of ["/api/recordings/open", "/recordings/open/media?start=2026-01-01T00:00:00Z&duration=5"]
    ) {
      const r = await anon.req(u);
      assert.equal(r.status, 401, u);
      assert.match((await r.json()).error, /login required/);
    }
    const page = await anon.req("/recordings/open");
    assert.equal(page.status, 302);
    assert.equal(page.headers.get("location"), "/login?next=%2Frecordings%2Fopen");

    const bob = new Jar(t.app);
    assert.equal((await bob.login("bob", "bob-password-123")).status, 303);
    const vip = await bob.req("/api/recordings/vip");
    assert.equal(vip.status, 403);
    assert.match((await vip.json()).error, /viewer list/);
    assert.equal((await bob.req("/recordings/vip")).status, 403);
    const media = await bob.req("/recordings/vip/media?start=2026-01-01T00:00:00Z&duration=5");
    assert.equal(media.status, 403);
    await media.body?.cancel();

    // Allowed path, bad input: 400 with a message (no upstream call needed).
    const bad = await bob.req("/recordings/open/media?start=2026-01-01T00:00:00Z&duration=abc");
    assert.equal(bad.status, 400);
    assert.match((await bad.json()).error, /seconds/);
    const badPath = await bob.req("/api/recordings/.hidden");
    assert.equal(badPath.status, 400);
    await badPath.body?.cancel();
    // Playback server unreachable: 502 with a message, never a crash.
    const down = await bob.req("/api/recordings/open");
    assert.equal(down.status, 502);
    assert.match((await down.json()).error, /not reachable/);
  } finally {
    t.close();
  }
});

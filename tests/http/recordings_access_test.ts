// Who may see recordings (in-process, no MediaMTX): a login is required even for public streams, the
// stream's viewer list applies (refused in the same words as a stream that does not exist), and bad ranges are refused with 400 before anything goes upstream.
import assert from "node:assert/strict";
import { Jar, testApp } from "./helpers.ts";
import { addUser } from "../../src/store/users.ts";
import { createStream } from "../../src/store/streams.ts";
import { NOT_FOR_YOU } from "../../src/auth/permissions.ts";

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
    // Same words as for a stream that does not exist (issue 25: refusals do not tell existence apart).
    assert.equal((await vip.json()).error, NOT_FOR_YOU);
    const none = await bob.req("/api/recordings/no-such-stream");
    assert.equal(none.status, 403);
    assert.equal((await none.json()).error, NOT_FOR_YOU);
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

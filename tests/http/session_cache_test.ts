// The short-lived session cache for media requests (src/auth/session-cache.ts): a logout through livegate
// ends media access at once; a session ended by another process (the CLI) within TTL_MS; pages and APIs
// never use the cache.
import assert from "node:assert/strict";
import { Jar, PASSWORD, testApp } from "./helpers.ts";
import { deleteSession } from "../../src/store/sessions.ts";
import { addUser } from "../../src/store/users.ts";
import { createStream, updateStream } from "../../src/store/streams.ts";
import { TTL_MS } from "../../src/auth/session-cache.ts";

const media = async (j: Jar) => {
  const r = await j.req("/hls/live/index.m3u8");
  await r.body?.cancel();
  return r.status;
};
// MediaMTX is down in these tests: a logged-in viewer gets 502/503, an anonymous one 401.
const LOGGED_IN = [502, 503];

Deno.test("http: session cache - logout through livegate ends media access at once", async () => {
  const t = await testApp();
  try {
    const j = new Jar(t.app);
    assert.equal((await j.login("admin", PASSWORD)).status, 303);
    assert.ok(LOGGED_IN.includes(await media(j)));
    assert.ok(LOGGED_IN.includes(await media(j)), "second request (from the cache)");
    const token = j.cookies.get("lg_session")!;
    const lo = await j.logout();
    assert.equal(lo.status, 303);
    j.cookies.set("lg_session", token); // a copy of the old cookie
    assert.equal(await media(j), 401);
  } finally {
    t.close();
  }
});

Deno.test("http: session cache - a session ended out of band stops media within TTL, APIs at once", async () => {
  const t = await testApp();
  try {
    const j = new Jar(t.app);
    await j.login("admin", PASSWORD);
    assert.ok(LOGGED_IN.includes(await media(j)));
    await deleteSession(t.kv, j.cookies.get("lg_session")); // as `livegate user del` would, from another process
    const me = await j.req("/api/me");
    await me.body?.cancel();
    assert.equal(me.status, 401, "APIs do not use the cache");
    await new Promise((r) => setTimeout(r, TTL_MS + 100));
    assert.equal(await media(j), 401);
  } finally {
    t.close();
  }
});

Deno.test("http: watch-rule cache - a stream closed to a viewer: at once after any change through livegate, else within TTL", async () => {
  const t = await testApp();
  try {
    await addUser(t.kv, "vic", "vic-password-1", "viewer");
    await createStream(t.kv, "club", { visibility: "private", allow: ["vic"] });
    const vic = new Jar(t.app, "203.0.113.8");
    await vic.login("vic", "vic-password-1");
    const club = async () => {
      const r = await vic.req("/hls/club/index.m3u8");
      await r.body?.cancel();
      return r.status;
    };
    assert.ok(LOGGED_IN.includes(await club()));
    // Out of band (another process): the cached decision holds for at most TTL_MS.
    await updateStream(t.kv, "club", { allow: ["someone-else"] });
    await new Promise((r) => setTimeout(r, TTL_MS + 100));
    assert.equal(await club(), 403);
    // Open again, cache the decision, close it, then any state-changing request clears the cache.
    await updateStream(t.kv, "club", { allow: ["vic"] });
    assert.ok(LOGGED_IN.includes(await club()));
    await updateStream(t.kv, "club", { allow: ["someone-else"] });
    const other = new Jar(t.app);
    await other.login("admin", PASSWORD); // a POST through livegate
    assert.equal(await club(), 403);
  } finally {
    t.close();
  }
});

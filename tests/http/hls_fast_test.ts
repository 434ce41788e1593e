// The HLS hot path (src/proxy/hls-fast.ts) in front of the app, as src/server.ts runs it: a viewer's pass
// (src/proxy/hls-pass.ts) is bound to its session cookie, share link, IP and stream, lapses after TTL_MS,
// is cleared by any state-changing request through livegate, and never serves what the app would refuse
// for another reason. MediaMTX is down here: an allowed request gets 502/503 (from either path), a refused
// one 401/403. A session deleted out of band (as the CLI would) shows which path answered: the hot path
// still holds the pass (502), the app refuses (401).
import assert from "node:assert/strict";
import { Jar, PASSWORD, testApp } from "./helpers.ts";
import { deleteSession } from "../../src/store/sessions.ts";
import { addUser } from "../../src/store/users.ts";
import { createStream } from "../../src/store/streams.ts";
import { createShare } from "../../src/store/shares.ts";
import { TTL_MS } from "../../src/auth/session-cache.ts";
import { storeOf } from "../../src/store/kv.ts";

const ALLOWED = [502, 503];

async function status(j: Jar, path: string, init: RequestInit = {}): Promise<number> {
  const r = await j.req(path, init);
  await r.body?.cancel();
  return r.status;
}

/** Ends the session out of band (as the CLI would) and drops the app's own media caches: only passes remain. */
async function endSessionOutOfBand(t: Awaited<ReturnType<typeof testApp>>, token: string | undefined) {
  // Another handle on the same database (its own change bus), as another process would have.
  await deleteSession(storeOf(t.kv.kv), token);
  t.deps.caches.sessions.clear();
  t.deps.access.watchCache.clear();
}

async function loggedIn(t: Awaited<ReturnType<typeof testApp>>, ip = "203.0.113.7") {
  const j = new Jar(t.app, ip, t.handler);
  assert.equal((await j.login("admin", PASSWORD)).status, 303);
  return j;
}

Deno.test("hls hot path: a pass answers the viewer's next requests, with the app's headers, until TTL", async () => {
  const t = await testApp();
  try {
    const j = await loggedIn(t);
    const first = await j.req("/hls/live/part1.mp4");
    await first.body?.cancel();
    assert.ok(ALLOWED.includes(first.status), `first: ${first.status}`);
    await endSessionOutOfBand(t, j.cookies.get("lg_session")); // only a pass can still allow
    const again = await j.req("/hls/live/part2.mp4?_HLS_msn=3&_HLS_part=1");
    const body = await again.json();
    assert.ok(ALLOWED.includes(again.status), `hot path: ${again.status}`);
    assert.match(body.error, /MediaMTX/);
    for (const h of ["x-content-type-options", "referrer-policy", "x-frame-options", "retry-after"]) {
      assert.equal(again.headers.get(h), first.headers.get(h), h);
    }
    assert.equal(again.headers.get("x-frame-options"), "DENY");
    // The viewer is still counted, as the same session.
    const seen = t.deps.viewers.viewers("live");
    assert.equal(seen.length, 1);
    assert.equal(seen[0].user, "admin");
    await new Promise((r) => setTimeout(r, TTL_MS + 100));
    assert.equal(await status(j, "/hls/live/part3.mp4"), 401, "pass lapsed: the app checks again");
  } finally {
    t.close();
  }
});

Deno.test("hls hot path: a pass is bound to the IP, the stream, GET without Range, and plain cookies", async () => {
  const t = await testApp();
  try {
    const j = await loggedIn(t);
    assert.ok(ALLOWED.includes(await status(j, "/hls/live/a.mp4")));
    const token = j.cookies.get("lg_session")!;
    await endSessionOutOfBand(t, token);
    assert.ok(ALLOWED.includes(await status(j, "/hls/live/b.mp4")), "same viewer: pass");
    const elsewhere = new Jar(t.app, "198.51.100.9", t.handler);
    elsewhere.cookies.set("lg_session", token);
    assert.equal(await status(elsewhere, "/hls/live/b.mp4"), 401, "same cookie, other IP");
    assert.equal(await status(j, "/hls/other/b.mp4"), 401, "other stream");
    assert.equal(await status(j, "/hls/live/b.mp4", { headers: { range: "bytes=0-10" } }), 401, "Range");
    assert.equal(await status(j, "/hls/live/b.mp4", { method: "HEAD" }), 401, "HEAD");
    assert.equal(await status(j, "/hls/live/%62.mp4"), 401, "percent-encoded name");
    assert.equal(await status(j, "/hls/live/b.mp4?_HLS_msn=x"), 401, "bad query: to the app");
    j.cookies.set("lg_session", `${token}%00`);
    assert.equal(await status(j, "/hls/live/b.mp4"), 401, "encoded cookie");
  } finally {
    t.close();
  }
});

Deno.test("hls hot path: logout, and any other change through livegate, ends passes at once", async () => {
  const t = await testApp();
  try {
    const j = await loggedIn(t);
    assert.ok(ALLOWED.includes(await status(j, "/hls/live/a.mp4")));
    const token = j.cookies.get("lg_session")!;
    const lo = await j.logout();
    assert.equal(lo.status, 303);
    j.cookies.set("lg_session", token); // a copy of the old cookie
    assert.equal(await status(j, "/hls/live/b.mp4"), 401);

    // A viewer loses a private stream: the admin's change (a POST through livegate) clears every pass.
    await addUser(t.kv, "vic", "vic-password-1", "viewer");
    await createStream(t.kv, "club", { visibility: "private", allow: ["vic"] });
    const vic = new Jar(t.app, "203.0.113.8", t.handler);
    assert.equal((await vic.login("vic", "vic-password-1")).status, 303);
    assert.ok(ALLOWED.includes(await status(vic, "/hls/club/a.mp4")));
    const admin = await loggedIn(t);
    const res = await admin.req("/api/streams/club", {
      method: "PATCH",
      headers: { "content-type": "application/json", "x-csrf-token": admin.cookies.get("lg_csrf") ?? "" },
      body: JSON.stringify({ allow: ["someone-else"] }),
    });
    assert.equal(res.status, 200, await res.text());
    assert.equal(await status(vic, "/hls/club/b.mp4"), 403);
  } finally {
    t.close();
  }
});

Deno.test("hls hot path: a share-link pass holds only for that share token", async () => {
  const t = await testApp();
  try {
    await createStream(t.kv, "party", { visibility: "unlisted" });
    const { token } = await createShare(t.kv, "party", { hours: 1, createdBy: "admin" });
    const guest = new Jar(t.app, "203.0.113.20", t.handler);
    assert.ok(ALLOWED.includes(await status(guest, `/hls/party/a.mp4?share=${token}`)));
    assert.ok(ALLOWED.includes(await status(guest, `/hls/party/b.mp4?share=${token}&_HLS_msn=1`)));
    const forged = token.slice(0, -2) + (token.endsWith("AA") ? "BB" : "AA");
    assert.ok([401, 403].includes(await status(guest, `/hls/party/b.mp4?share=${forged}`)), "other token");
    assert.equal(await status(guest, "/hls/party/b.mp4"), 401, "no share token, no session");
  } finally {
    t.close();
  }
});

Deno.test("hls hot path: its answers are counted in the request metrics under the route", async () => {
  const t = await testApp();
  try {
    const j = await loggedIn(t);
    const count = async () => {
      const m = (await t.deps.metrics.registry.getMetricsAsJSON()).find((x) =>
        x.name === "livegate_http_requests_total"
      );
      return (m?.values ?? [])
        .filter((v) => v.labels.route === "/hls/:path/:file")
        .reduce((a, v) => a + v.value, 0);
    };
    const before = await count();
    for (let i = 0; i < 5; i++) await status(j, `/hls/live/p${i}.mp4`);
    assert.equal(await count(), before + 5);
  } finally {
    t.close();
  }
});

// A quality ladder's rungs over WebRTC (src/webrtc/routes.ts, src/ladder/routes.ts), in process with no
// MediaMTX running: WHEP on a rung path (/whep/<stream>/<H>p) takes exactly the stream's watch permission
// (role x visibility: the same 401/403 as the stream's own WHEP; allowed ones reach the upstream and get
// 502/503), so does the viewer's rung list (GET /api/streams/<path>/rungs); malformed rung segments are 404,
// a rung session is PATCHed/DELETEd only by who started it (404 otherwise), WHIP has no rung routes.
import assert from "node:assert/strict";
import { Jar, PASSWORD, testApp } from "./helpers.ts";
import { addUser } from "../../src/store/users.ts";
import { createStream } from "../../src/store/streams.ts";

const OFFER = "v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\nm=video 9 UDP/TLS/RTP/SAVPF 96\r\n";

Deno.test("http: WHEP of a ladder rung takes exactly the stream's watch permission", async () => {
  const t = await testApp();
  try {
    await addUser(t.kv, "sam", "sam-password-1", "streamer");
    await addUser(t.kv, "vic", "vic-password-1", "viewer");
    await addUser(t.kv, "lisa", "lisa-password-1", "viewer");
    await createStream(t.kv, "pub", { visibility: "public", owner: "sam" });
    await createStream(t.kv, "club", { visibility: "private", owner: "sam", allow: ["lisa"] });
    const jars: Record<string, Jar> = { anonymous: new Jar(t.app) };
    for (
      const [name, pw] of [["admin", PASSWORD], ["sam", "sam-password-1"], ["vic", "vic-password-1"], [
        "lisa",
        "lisa-password-1",
      ]]
    ) {
      jars[name] = new Jar(t.app);
      assert.equal((await jars[name].login(name, pw)).status, 303);
    }
    const csrfOf = async (j: Jar, path: string) => {
      const page = await (await j.req(`/watch/${path}`)).text();
      return /data-csrf="([^"]+)"/.exec(page)?.[1] ?? j.cookies.get("lg_csrf") ?? "";
    };
    const post = async (j: Jar, url: string, csrf: string) => {
      const r = await j.req(url, {
        method: "POST",
        headers: { "content-type": "application/sdp", "x-csrf-token": csrf },
        body: OFFER,
      });
      const body = await r.json();
      return { status: r.status, error: String(body.error ?? "") };
    };
    type Want = "ok" | 401 | 403;
    const MATRIX: Record<string, Record<string, Want>> = {
      pub: { anonymous: "ok", admin: "ok", sam: "ok", vic: "ok", lisa: "ok" },
      club: { anonymous: 401, admin: "ok", sam: "ok", vic: 403, lisa: "ok" },
      // No stream record: admins only.
      gone: { anonymous: 401, admin: "ok", sam: 403, vic: 403, lisa: 403 },
    };
    for (const [path, row] of Object.entries(MATRIX)) {
      for (const [who, want] of Object.entries(row)) {
        const j = jars[who];
        const csrf = await csrfOf(j, path);
        const parent = await post(j, `/whep/${path}`, csrf);
        const rung = await post(j, `/whep/${path}/180p`, csrf);
        // Allowed: livegate asks MediaMTX (not running here): 502/503. Refused: never that far.
        if (want === "ok") {
          assert.ok(rung.status === 502 || rung.status === 503, `${who} ${path}/180p: ${rung.status}`);
        } else {
          assert.equal(rung.status, want, `${who} ${path}/180p: ${rung.error}`);
          assert.ok(rung.error.length > 0, "a refusal says why");
        }
        assert.equal(rung.status, parent.status, `${who}: the rung answers as its stream`);
        // The viewer's rung list: the same rule (no ladder runs here: no rungs).
        const list = await j.req(`/api/streams/${path}/rungs`);
        const lb = await list.json();
        if (want === "ok") {
          assert.equal(list.status, 200, `${who} rungs of ${path}`);
          assert.deepEqual(lb, { source: null, rungs: [] });
        } else assert.equal(list.status, want, `${who} rungs of ${path}`);
      }
    }

    // Not rung paths: 404 (or 405 for the stream's session routes), never forwarded.
    const admin = jars.admin;
    const csrf = await csrfOf(admin, "pub");
    for (const seg of ["0180p", "180", "99999p", "180P", "p", "..", "%2e%2e"]) {
      const r = await post(admin, `/whep/pub/${seg}`, csrf);
      assert.ok(r.status === 404 || r.status === 405, `/whep/pub/${seg}: ${r.status}`);
      assert.ok(r.error.length > 0);
    }
    // WHIP has no rung endpoints: nobody publishes a rung from outside.
    const whip = await post(admin, "/whip/pub/180p", csrf);
    assert.ok(whip.status === 404 || whip.status === 405, `WHIP rung: ${whip.status}`);
    // A session id livegate did not hand out to this client: unknown (404), for PATCH and DELETE.
    const sid = "0b7b9c3e-9d1a-4c1e-8f1e-7a6b5c4d3e2f";
    const del = await admin.req(`/whep/pub/180p/${sid}`, {
      method: "DELETE",
      headers: { "x-csrf-token": csrf },
    });
    assert.equal(del.status, 404);
    assert.match((await del.json()).error, /unknown session/);
    const patch = await admin.req(`/whep/pub/180p/${sid}`, {
      method: "PATCH",
      headers: { "content-type": "application/trickle-ice-sdpfrag", "x-csrf-token": csrf },
      body: "a=ice-ufrag:abcd\r\n",
    });
    assert.equal(patch.status, 404);
    await patch.body?.cancel();
    // A refused viewer cannot end or patch a rung session either (refused before the session lookup).
    const vicDel = await jars.vic.req(`/whep/club/180p/${sid}`, {
      method: "DELETE",
      headers: { "x-csrf-token": await csrfOf(jars.vic, "club") },
    });
    assert.equal(vicDel.status, 403);
    await vicDel.body?.cancel();
    // CSRF: a logged-in viewer without the token is refused (403), as on the stream's WHEP.
    const noCsrf = await post(admin, "/whep/pub/180p", "");
    assert.equal(noCsrf.status, 403);
  } finally {
    t.close();
  }
});

Deno.test("http: a rung's recordings take exactly the stream's recordings permission", async () => {
  const t = await testApp({ LIVEGATE_MTX_PLAYBACK_PORT: "1" });
  try {
    await createStream(t.kv, "open", { visibility: "public" });
    await createStream(t.kv, "vip", { visibility: "private", allow: ["alice"] });
    await addUser(t.kv, "bob", "bob-password-123", "viewer");
    const anon = new Jar(t.app);
    const bob = new Jar(t.app);
    assert.equal((await bob.login("bob", "bob-password-123")).status, 303);
    const range = "start=2026-01-01T00:00:00Z&duration=5";
    for (const stream of ["open", "vip"]) {
      for (const [who, j] of [["anonymous", anon], ["bob", bob]] as const) {
        for (const u of [`/api/recordings/${stream}`, `/recordings/${stream}/media?${range}`]) {
          const parent = await j.req(u);
          const rung = await j.req(u.replace(`/${stream}`, `/${stream}/180p`));
          const pb = await parent.json(), rb = await rung.json();
          assert.equal(rung.status, parent.status, `${who} ${u}: rung ${JSON.stringify(rb)}`);
          assert.equal(rb.error, pb.error, `${who} ${u}: the same words`);
        }
        const page = await j.req(`/recordings/${stream}/180p`);
        const parentPage = await j.req(`/recordings/${stream}`);
        await page.body?.cancel();
        await parentPage.body?.cancel();
        assert.equal(page.status, parentPage.status, `${who} page of ${stream}/180p`);
      }
    }
    // Allowed (bob on a public stream): the rung reaches MediaMTX's playback server (down here: 502).
    const down = await bob.req("/api/recordings/open/180p");
    assert.equal(down.status, 502);
    assert.match((await down.json()).error, /not reachable/);
    // Not rung paths: 404 (or 400), never upstream.
    for (
      const u of ["/api/recordings/open/0180p", "/api/recordings/open/180", "/recordings/open/99999p/media"]
    ) {
      const r = await bob.req(u);
      assert.ok(r.status === 404 || r.status === 400, `${u}: ${r.status}`);
      await r.body?.cancel();
    }
  } finally {
    t.close();
  }
});

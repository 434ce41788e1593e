// WHIP (RFC 9725) and WHEP as conforming clients use them, in-process (MediaMTX is down here, so a request
// that passed livegate's checks answers 502): the auth scheme in any case, wrong forms of the key refused
// with a message saying where it goes (and a WWW-Authenticate challenge), OPTIONS, 405 with Allow, 415 with
// Accept-Post, no CSRF token needed by a client that sends no cookies, a share token as WHEP bearer token.
// tests/e2e/webrtc_test.ts publishes with a lower-case "bearer" through real MediaMTX, and checks a wrong
// key's refusal (by MediaMTX's hook) says where the key goes.
import assert from "node:assert/strict";
import { testApp } from "./helpers.ts";
import { createKey } from "../../src/store/keys.ts";
import { createStream } from "../../src/store/streams.ts";
import { createShare } from "../../src/store/shares.ts";

const OFFER = "v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\nm=video 9 UDP/TLS/RTP/SAVPF 96\r\n" +
  "c=IN IP4 0.0.0.0\r\na=rtpmap:96 H264/90000\r\n";

Deno.test("whip/whep: conforming clients are let through or told exactly what to change", async () => {
  const t = await testApp();
  try {
    await createStream(t.kv, "live", {});
    await createStream(t.kv, "open", { visibility: "public" });
    await createStream(t.kv, "club", { visibility: "unlisted" });
    const { key } = await createKey(t.kv, "live", "obs");
    const { token: share } = await createShare(t.kv, "club", { hours: 1, createdBy: "admin" });
    const req = (path: string, init: RequestInit = {}) => t.app.request(`http://localhost${path}`, init);
    const post = (path: string, headers: Record<string, string> = {}) =>
      req(path, { method: "POST", headers: { "content-type": "application/sdp", ...headers }, body: OFFER });

    // Past livegate's checks, MediaMTX (down here) answers: 502. Any case of the scheme works.
    for (const scheme of ["Bearer", "bearer", "BEARER", "bEaReR"]) {
      const r = await post("/whip/live", { authorization: `${scheme} ${key}` });
      assert.equal(r.status, 502, `${scheme}: ${await r.text()}`);
    }
    // Wrong forms: 401, a challenge, and where the key goes.
    const wrong: [string, Record<string, string>, RegExp][] = [
      [
        "/whip/live",
        { authorization: `Bearer Bearer ${key}` },
        /malformed Authorization.*Authorization: Bearer <KEY>/,
      ],
      ["/whip/live", { authorization: `Basic ${btoa(`x:${key}`)}` }, /malformed Authorization/],
      ["/whip/live", { authorization: `Token ${key}` }, /malformed Authorization/],
      ["/whip/live", { authorization: "Bearer" }, /malformed Authorization/],
      [`/whip/live?token=${key}`, {}, /not in \?token=.*Authorization: Bearer <KEY>/],
      ["/whip/live", {}, /login required, or send the stream key as 'Authorization: Bearer <KEY>'/],
    ];
    for (const [path, headers, msg] of wrong) {
      const r = await post(path, headers);
      assert.equal(r.status, 401, `${path} ${JSON.stringify(headers)}`);
      assert.equal(r.headers.get("www-authenticate"), 'Bearer realm="livegate"');
      assert.match((await r.json()).error, msg);
    }
    // OPTIONS: what the endpoint takes.
    for (const kind of ["whip", "whep"]) {
      const o = await req(`/${kind}/live`, { method: "OPTIONS" });
      assert.equal(o.status, 204);
      assert.equal(o.headers.get("accept-post"), "application/sdp");
      assert.match(o.headers.get("allow") ?? "", /POST/);
      // Other methods: 405 with Allow.
      const g = await req(`/${kind}/live`);
      assert.equal(g.status, 405);
      assert.equal(g.headers.get("allow"), "OPTIONS, POST");
      await g.body?.cancel();
      const put = await req(`/${kind}/live/00000000-0000-0000-0000-000000000000`, { method: "PUT" });
      assert.equal(put.status, 405);
      assert.equal(put.headers.get("allow"), "PATCH, DELETE");
      await put.body?.cancel();
    }
    // 415 says what it takes.
    const type = await req("/whip/live", {
      method: "POST",
      headers: { "content-type": "text/plain", authorization: `Bearer ${key}` },
      body: OFFER,
    });
    assert.equal(type.status, 415);
    assert.equal(type.headers.get("accept-post"), "application/sdp");
    await type.body?.cancel();
    // A WHEP player without cookies needs no CSRF token (a public stream; MediaMTX answers: 502).
    const pub = await post("/whep/open");
    assert.equal(pub.status, 502, await pub.text());
    // A share token as WHEP bearer token opens the unlisted stream; a wrong one does not.
    const shared = await post("/whep/club", { authorization: `Bearer ${share}` });
    assert.equal(shared.status, 502, await shared.text());
    const notShared = await post("/whep/club", { authorization: "Bearer abc.def.ghi" });
    assert.equal(notShared.status, 401);
    await notShared.body?.cancel();
  } finally {
    t.close();
  }
});

// The hook endpoint over HTTP: secret in the URL, JSON validation, decisions, compat API.
import assert from "node:assert/strict";
import { testApp, viaServer } from "./helpers.ts";
import { createKey } from "../../src/store/keys.ts";

// Through the app, and through the server's handler, which answers the hook in front of the app
// (src/http/front.ts): the same answers.
for (const via of ["app", "server handler"] as const) {
  Deno.test(`http: hook endpoint - secret, bad bodies, publish decisions (${via})`, async () => {
    const t = await testApp();
    try {
      const { key } = await createKey(t.kv, "live");
      const url = `http://localhost/internal/mediamtx/auth/${t.secrets.hook}`;
      const post = async (body: string, u = url) => {
        const init = { method: "POST", headers: { "content-type": "application/json" }, body };
        const res = via === "app"
          ? await t.app.request(u, init)
          : await viaServer(t.handler, u, init, "127.0.0.1");
        assert.equal(res.headers.get("x-content-type-options"), "nosniff");
        return res;
      };
      assert.equal((await post("{}", `${url}%41`)).status, 403, "encoded secret");
      assert.equal((await post("{}", "http://localhost/internal/mediamtx/auth/wrong")).status, 403);
      assert.equal((await post("not json")).status, 400);
      assert.equal((await post("[1,2]")).status, 400);
      assert.equal((await post('{"action": 3}')).status, 400);
      assert.equal((await post("x".repeat(100_000))).status, 413);
      const pub = (q: string, path = "live") =>
        post(
          JSON.stringify({
            action: "publish",
            path,
            protocol: "rtmp",
            query: q,
            token: new URLSearchParams(q).get("token") ?? "",
          }),
        );
      assert.equal((await pub(`token=${key}`)).status, 200);
      assert.equal((await pub(`token=${key}`, "other")).status, 401);
      assert.equal((await pub("token=lg_wrong")).status, 401);
      assert.equal((await pub("")).status, 401);
      const read = await post(JSON.stringify({ action: "read", path: "live", protocol: "rtsp" }));
      assert.equal(read.status, 401);
      const api = await post(
        JSON.stringify({ action: "api", user: t.secrets.internalUser, password: t.secrets.internalPass }),
      );
      assert.equal(api.status, 200);
    } finally {
      t.close();
    }
  });
}

Deno.test("http: compat - /health and /api/stream/validate", async () => {
  const t = await testApp();
  try {
    const h = await t.app.request("http://localhost/health");
    assert.equal(h.status, 200);
    assert.equal(await h.text(), "OK");
    const { key } = await createKey(t.kv, "live");
    assert.equal((await t.app.request(`http://localhost/api/stream/validate?token=${key}`)).status, 200);
    assert.equal((await t.app.request("http://localhost/api/stream/validate?token=nope")).status, 401);
    assert.equal((await t.app.request("http://localhost/api/stream/validate")).status, 401);
  } finally {
    t.close();
  }
});

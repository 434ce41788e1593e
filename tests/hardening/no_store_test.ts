// Issue 25 (low): JSON answers that carry a new secret (a stream key, a share-link token, a generated or set
// password) must never be kept by a browser or proxy cache: `Cache-Control: no-store`. livegate sets it on
// every JSON answer of the app that does not choose its own, so this test checks the four secret-bearing
// answers explicitly and then every JSON route of the app (from app.routes) as admin, errors included.
import assert from "node:assert/strict";
import { PASSWORD, testApp } from "../http/helpers.ts";
import { createStream } from "../../src/store/streams.ts";
import { api, loggedIn } from "./api.ts";

const noStore = (h: Headers) => /(^|,)\s*no-store\s*(,|$)/.test(h.get("cache-control") ?? "");

Deno.test("hardening: every JSON answer with a new key, token or password says Cache-Control: no-store", async () => {
  const t = await testApp();
  try {
    await createStream(t.kv, "show", { visibility: "unlisted" });
    const admin = await loggedIn(t, "admin", PASSWORD, "192.0.2.1");
    const secrets: [string, string, unknown, string][] = [
      ["POST", "/api/streams/show/keys", { name: "obs" }, "key"],
      ["POST", "/api/streams/show/shares", { hours: 1 }, "token"],
      ["POST", "/api/users", { name: "gen", role: "viewer" }, "password"],
      ["POST", "/api/users/gen/password", {}, "password"],
      ["POST", "/api/users/gen/password", { password: "chosen-password-123" }, "ok"],
    ];
    for (const [method, path, body, field] of secrets) {
      const r = await api(admin, method, path, body);
      assert.ok(r.status === 200 || r.status === 201, `${path}: ${r.status} ${JSON.stringify(r.body)}`);
      assert.ok(r.body[field] !== undefined, `${path} answers ${field}`);
      assert.ok(noStore(r.headers), `${method} ${path}: cache-control ${r.headers.get("cache-control")}`);
    }

    // Every JSON route of the app, as admin (with made-up parameters: many answers are errors, which must
    // not be cached either).
    const routes = [
      ...new Set(
        t.app.routes.filter((r) => r.method === "GET" && /^\/api\//.test(r.path)).map((r) => r.path),
      ),
    ];
    assert.ok(routes.length >= 10, `routes: ${routes}`);
    let json = 0;
    for (const route of routes) {
      const path = route.replace(/:path/g, "show").replace(/:name/g, "gen").replace(/:[A-Za-z]+/g, "x");
      const r = await admin.req(path);
      const type = r.headers.get("content-type") ?? "";
      await r.body?.cancel();
      if (!type.startsWith("application/json")) continue;
      json++;
      assert.ok(
        noStore(r.headers),
        `GET ${path} (${r.status}): cache-control ${r.headers.get("cache-control")}`,
      );
    }
    assert.ok(json >= 10, `${json} JSON answers checked`);
  } finally {
    t.close();
  }
});

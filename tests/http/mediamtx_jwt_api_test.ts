// JWTs for MediaMTX, in-process: the JWKS holds public keys only (current + next), issued tokens verify
// against it with MediaMTX's claim format, the door decides who gets read / publish tokens (scopes too),
// bad input is a 400, and a rotation keeps the retired key published.
import assert from "node:assert/strict";
import { createLocalJWKSet, decodeProtectedHeader, jwtVerify } from "jose";
import { Jar, PASSWORD, testApp } from "./helpers.ts";
import { addUser } from "../../src/store/users.ts";
import { createStream } from "../../src/store/streams.ts";
import { createToken } from "../../src/store/tokens.ts";

Deno.test("mediamtx jwt: JWKS, claim format, door and scopes, bad input, rotation overlap", async () => {
  const t = await testApp({ LIVEGATE_JWT_MAX_TTL: "600" });
  try {
    await addUser(t.kv, "vic", PASSWORD, "viewer");
    await addUser(t.kv, "sam", PASSWORD, "streamer");
    await createStream(t.kv, "cam", { owner: "sam", visibility: "private" });
    const jwksRes = await t.app.request("http://localhost/.well-known/jwks.json");
    assert.equal(jwksRes.status, 200);
    const jwks = await jwksRes.json();
    assert.equal(jwks.keys.length, 2, "current and next");
    for (const k of jwks.keys) {
      assert.equal(k.kty, "EC");
      assert.equal(k.alg, "ES256");
      assert.equal(k.d, undefined, "no private part");
    }
    const call = async (tok: string, body: unknown) => {
      const r = await t.app.request("http://localhost/api/mediamtx/jwt", {
        method: "POST",
        headers: { authorization: `Bearer ${tok}`, "content-type": "application/json" },
        body: JSON.stringify(body),
      });
      return { status: r.status, body: await r.json() };
    };
    const { token: vicRead } = await createToken(t.kv, "vic", { name: "r", scopes: ["read"], ttlS: 3600 });
    const { token: samRead } = await createToken(t.kv, "sam", { name: "r", scopes: ["read"], ttlS: 3600 });
    const { token: samStreams } = await createToken(t.kv, "sam", {
      name: "s",
      scopes: ["streams"],
      ttlS: 3600,
    });

    const ok = await call(vicRead, { path: "cam", action: "read", ttl: 60 });
    assert.equal(ok.status, 200, JSON.stringify(ok.body));
    const { payload, protectedHeader } = await jwtVerify(ok.body.jwt, createLocalJWKSet(jwks), {
      audience: "mediamtx",
      issuer: t.cfg.publicUrl,
    });
    assert.deepEqual(payload.mediamtx_permissions, [{ action: "read", path: "cam" }]);
    assert.equal(payload.sub, "vic");
    assert.equal(payload.exp! - payload.iat!, 60);
    assert.equal(protectedHeader.kid, jwks.keys[0].kid);

    assert.equal(
      (await call(vicRead, { path: "cam", action: "publish" })).status,
      403,
      "viewer may not publish",
    );
    assert.equal((await call(samRead, { path: "cam", action: "publish" })).status, 403, "read scope");
    assert.equal((await call(samStreams, { path: "cam", action: "publish" })).status, 200, "owner, streams");
    assert.equal((await call(samStreams, { path: "nope", action: "read" })).status, 403, "no such stream");
    for (
      const bad of [
        { path: "cam", action: "playback" },
        { path: "cam", action: "read", ttl: 0 },
        { path: "cam", action: "read", ttl: 601 },
        { path: "cam", action: "read", ttl: "60" },
        { path: 5, action: "read" },
      ]
    ) {
      const r = await call(samStreams, bad);
      assert.equal(r.status, 400, JSON.stringify(bad));
    }
    // Without a login: 401; with a session: the CSRF header is needed.
    const anon = await t.app.request("http://localhost/api/mediamtx/jwt", { method: "POST" });
    assert.equal(anon.status, 401);
    const jar = new Jar(t.app);
    await jar.login("sam", PASSWORD);
    const noCsrf = await jar.req("/api/mediamtx/jwt", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ path: "cam" }),
    });
    assert.equal(noCsrf.status, 403);

    // Rotation: only admins; the next key signs, the retired one stays published.
    assert.equal(
      (await jar.req("/api/jwt/rotate", {
        method: "POST",
        headers: { "x-csrf-token": jar.cookies.get("lg_csrf")! },
      }))
        .status,
      403,
    );
    const admin = new Jar(t.app);
    await admin.login("admin", PASSWORD);
    const rot = await admin.req("/api/jwt/rotate", {
      method: "POST",
      headers: { "x-csrf-token": admin.cookies.get("lg_csrf")! },
    });
    assert.equal(rot.status, 200);
    const r = await rot.json();
    assert.equal(r.current, jwks.keys[1].kid, "the published next key signs now");
    const after = await (await t.app.request("http://localhost/.well-known/jwks.json")).json();
    assert.deepEqual(
      after.keys.map((k: { kid: string }) => k.kid).sort(),
      [...r.previous, r.current, r.next].sort(),
    );
    assert.ok(r.previous.includes(jwks.keys[0].kid));
    const fresh = await call(vicRead, { path: "cam", action: "read", ttl: 60 });
    assert.equal(decodeProtectedHeader(fresh.body.jwt).kid, r.current);
  } finally {
    t.close();
  }
});

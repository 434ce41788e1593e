// The admin / streams JSON API in process: every action, bad input (unknown ids, invalid names, duplicates)
// with clear 4xx, session + CSRF on writes, role limits, optimistic concurrency and the audit log.
import assert from "node:assert/strict";
import { Jar, PASSWORD, testApp } from "./helpers.ts";
import { addUser } from "../../src/store/users.ts";
import { findKey, listKeys } from "../../src/store/keys.ts";
import { listSessions } from "../../src/store/sessions.ts";

type T = Awaited<ReturnType<typeof testApp>>;

/** A logged-in jar with a JSON helper that sends the CSRF header. */
async function api(t: T, user = "admin", password = PASSWORD) {
  const j = new Jar(t.app);
  const r = await j.login(user, password);
  assert.equal(r.status, 303, `login ${user}`);
  const call = async (method: string, path: string, body?: unknown, headers: Record<string, string> = {}) => {
    const res = await j.req(path, {
      method,
      headers: {
        "content-type": "application/json",
        "x-csrf-token": j.cookies.get("lg_csrf") ?? "",
        ...headers,
      },
      body: body === undefined ? undefined : typeof body === "string" ? body : JSON.stringify(body),
    });
    const text = await res.text();
    let json: Record<string, unknown> = {};
    try {
      json = JSON.parse(text);
    } catch { /* html or empty */ }
    // deno-lint-ignore no-explicit-any
    return { status: res.status, body: json as Record<string, any> };
  };
  return { jar: j, call };
}

Deno.test("api: users - create, bad input, duplicates, guards", async () => {
  const t = await testApp();
  try {
    const { call, jar } = await api(t);
    const created = await call("POST", "/api/users", { name: "vic", role: "viewer" });
    assert.equal(created.status, 201);
    assert.equal(created.body.user.name, "vic");
    assert.equal(typeof created.body.password, "string", "a generated password is returned once");
    assert.equal(created.body.user.passwordHash, undefined, "no hashes in answers");
    // The generated password works.
    assert.equal((await new Jar(t.app).login("vic", created.body.password)).status, 303);

    const bad: [unknown, number, RegExp][] = [
      [{ name: "vic", role: "viewer" }, 409, /already exists/],
      [{ name: "bad name!", role: "viewer" }, 400, /user name/],
      [{ name: ".dot" }, 400, /user name/],
      [{ name: 5 }, 400, /user name/],
      [{ name: "x".repeat(65) }, 400, /user name/],
      [{ name: "ok", role: "god" }, 400, /role must be/],
      [{ name: "ok", password: "short" }, 400, /password/i],
      [{ name: "ok", password: 12345678901 }, 400, /password must be a string/],
      ["not json", 400, /not valid JSON/],
      ["[1,2]", 400, /JSON object/],
    ];
    for (const [body, status, msg] of bad) {
      const r = await call("POST", "/api/users", body);
      assert.equal(r.status, status, JSON.stringify(body));
      assert.match(String(r.body.error), msg, JSON.stringify(body));
    }
    const wrongType = await call("POST", "/api/users", "name=x", { "content-type": "text/plain" });
    assert.equal(wrongType.status, 415);
    const huge = await call("POST", "/api/users", JSON.stringify({ name: "x".repeat(100_000) }));
    assert.equal(huge.status, 413);

    // CSRF: missing or wrong header -> 403; cross-site origin -> 403.
    const noCsrf = await jar.req("/api/users", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ name: "eve" }),
    });
    assert.equal(noCsrf.status, 403);
    assert.match((await noCsrf.json()).error, /CSRF/);
    const cross = await call("POST", "/api/users", { name: "eve" }, { origin: "https://evil.example" });
    assert.equal(cross.status, 403);
    // No session -> 401; a viewer -> 403 (reads too).
    const anon = await t.app.request("http://localhost/api/users");
    assert.equal(anon.status, 401);
    const viewer = await api(t, "vic", created.body.password);
    assert.equal((await viewer.call("GET", "/api/users")).status, 403);
    assert.equal((await viewer.call("POST", "/api/users", { name: "eve" })).status, 403);
    assert.equal((await viewer.call("GET", "/api/audit")).status, 403);

    const list = await call("GET", "/api/users");
    assert.deepEqual(list.body.users.map((u: { name: string }) => u.name).sort(), ["admin", "vic"]);
  } finally {
    t.close();
  }
});

Deno.test("api: users - role, disable (ends sessions), reset password, delete (sessions + keys at once)", async () => {
  const t = await testApp();
  try {
    const { call } = await api(t);
    await addUser(t.kv, "sam", "sam-password-1", "streamer");
    const sam = await api(t, "sam", "sam-password-1");
    assert.equal((await sam.call("GET", "/api/streams")).status, 200);

    // Unknown users and bad patches.
    assert.equal((await call("PATCH", "/api/users/nobody", { role: "viewer" })).status, 404);
    assert.equal((await call("PATCH", "/api/users/sam", { role: "root" })).status, 400);
    assert.equal((await call("PATCH", "/api/users/sam", { disabled: "yes" })).status, 400);
    assert.equal((await call("PATCH", "/api/users/sam", {})).status, 400);
    assert.equal((await call("POST", "/api/users/nobody/password", {})).status, 404);
    assert.equal((await call("DELETE", "/api/users/nobody")).status, 404);
    assert.equal((await call("GET", "/api/users/nobody")).status, 404);
    // An admin cannot lock themselves out.
    assert.equal((await call("PATCH", "/api/users/admin", { disabled: true })).status, 400);
    assert.equal((await call("PATCH", "/api/users/admin", { role: "viewer" })).status, 400);
    assert.equal((await call("DELETE", "/api/users/admin")).status, 400);

    // Disable: the session ends at once, login is refused; enable again.
    const dis = await call("PATCH", "/api/users/sam", { disabled: true });
    assert.equal(dis.status, 200);
    assert.equal(dis.body.user.disabled, true);
    assert.equal((await sam.call("GET", "/api/streams")).status, 401);
    assert.equal((await listSessions(t.kv, "sam")).length, 0);
    assert.equal((await new Jar(t.app).login("sam", "sam-password-1")).status, 401);
    assert.equal((await call("PATCH", "/api/users/sam", { disabled: false })).status, 200);

    // Reset password: generated, the old one stops working.
    const pw = await call("POST", "/api/users/sam/password", {});
    assert.equal(pw.status, 200);
    assert.equal(typeof pw.body.password, "string");
    assert.equal((await new Jar(t.app).login("sam", "sam-password-1")).status, 401);
    const samOld = await api(t, "sam", pw.body.password);
    assert.equal((await call("POST", "/api/users/sam/password", { password: "x" })).status, 400);
    assert.equal((await call("POST", "/api/users/sam/password", { password: "sam-password-2" })).status, 200);
    // A reset ends the user's sessions.
    assert.equal((await samOld.call("GET", "/api/streams")).status, 401);
    const sam2 = await api(t, "sam", "sam-password-2");

    // Role change.
    const role = await call("PATCH", "/api/users/sam", { role: "viewer" });
    assert.equal(role.body.user.role, "viewer");
    assert.equal((await sam2.call("GET", "/api/streams")).status, 403);
    await call("PATCH", "/api/users/sam", { role: "streamer" });

    // Delete: the user's sessions and the keys they created go in the same transaction.
    await call("POST", "/api/streams", { path: "show", owner: "sam" });
    const k = await sam2.call("POST", "/api/streams/show/keys", { name: "obs" });
    assert.equal(k.status, 201);
    assert.ok(await findKey(t.kv, k.body.key));
    const validate = () => t.app.request(`http://localhost/api/stream/validate?token=${k.body.key}`);
    assert.equal((await validate()).status, 200);
    await call("PATCH", "/api/users/sam", { role: "viewer" });
    assert.equal((await validate()).status, 401, "the compat validate API follows the hook's rules");
    await call("PATCH", "/api/users/sam", { role: "streamer" });
    assert.equal((await validate()).status, 200);
    const detail = await call("GET", "/api/users/sam");
    assert.equal(detail.body.keys.length, 1);
    assert.equal(detail.body.sessions.length, 1);
    assert.equal((await call("DELETE", "/api/users/sam")).status, 200);
    assert.equal(await findKey(t.kv, k.body.key), null, "key revoked");
    assert.equal((await validate()).status, 401);
    assert.equal((await listKeys(t.kv, "show")).length, 0);
    assert.equal((await sam2.call("GET", "/api/streams")).status, 401, "session revoked");
    const show = await call("GET", "/api/streams/show");
    assert.equal(show.body.stream.owner, null, "the stream lost its owner");
  } finally {
    t.close();
  }
});

Deno.test("api: no lost update - stale version -> 409, concurrent patches all applied", async () => {
  const t = await testApp();
  try {
    const { call } = await api(t);
    await call("POST", "/api/streams", { path: "show", title: "a" });
    const v1 = (await call("GET", "/api/streams/show")).body.version;
    const first = await call("PATCH", "/api/streams/show", { title: "b", version: v1 });
    assert.equal(first.status, 200);
    const stale = await call("PATCH", "/api/streams/show", { title: "c", version: v1 });
    assert.equal(stale.status, 409, "second editor with the old version is refused");
    assert.match(stale.body.error, /changed by someone else/);
    assert.equal((await call("GET", "/api/streams/show")).body.stream.title, "b");

    // Without a version, concurrent field-wise patches are retried on the fresh record: none is lost.
    const names = ["u1", "u2", "u3", "u4", "u5", "u6", "u7", "u8"];
    await Promise.all([
      ...names.map((n) => call("PATCH", "/api/streams/show", { allow: [n] })),
      call("PATCH", "/api/streams/show", { visibility: "public" }),
      call("PATCH", "/api/streams/show", { title: "final" }),
    ]);
    const s = (await call("GET", "/api/streams/show")).body.stream;
    assert.equal(s.visibility, "public");
    assert.equal(s.title, "final");
    assert.equal(s.allow.length, 1);

    // Users: stale version -> 409 too.
    await addUser(t.kv, "vic", "vic-password-1", "viewer");
    const uv = (await call("GET", "/api/users/vic")).body.version;
    assert.equal((await call("PATCH", "/api/users/vic", { role: "streamer", version: uv })).status, 200);
    assert.equal((await call("PATCH", "/api/users/vic", { disabled: true, version: uv })).status, 409);

    // Concurrent creates of the same user: exactly one wins.
    const rs = await Promise.all([1, 2, 3].map(() => call("POST", "/api/users", { name: "twin" })));
    assert.deepEqual(rs.map((r) => r.status).sort(), [201, 409, 409]);
  } finally {
    t.close();
  }
});

Deno.test("api: streams, keys, share links - actions, bad input, streamer limits", async () => {
  const t = await testApp();
  try {
    const { call } = await api(t);
    await addUser(t.kv, "sam", "sam-password-1", "streamer");
    await addUser(t.kv, "olga", "olga-password-1", "streamer");
    await addUser(t.kv, "vic", "vic-password-1", "viewer");

    const c = await call("POST", "/api/streams", { path: "show", title: "The show", owner: "sam" });
    assert.equal(c.status, 201);
    const badStreams: [unknown, number, RegExp][] = [
      [{ path: "show" }, 409, /already exists/],
      [{ path: "bad/path" }, 400, /stream path/],
      [{ path: "" }, 400, /stream path/],
      [{}, 400, /stream path/],
      [{ path: "x", visibility: "secret" }, 400, /visibility/],
      [{ path: "x", owner: "nobody" }, 400, /not a user/],
      [{ path: "x", owner: "vic" }, 400, /streamer or admin/],
      [{ path: "x", allow: ["ok", "bad name"] }, 400, /allow/],
      [{ path: "x", title: 5 }, 400, /title/],
    ];
    for (const [body, status, msg] of badStreams) {
      const r = await call("POST", "/api/streams", body);
      assert.equal(r.status, status, JSON.stringify(body));
      assert.match(String(r.body.error), msg);
    }
    assert.equal((await call("GET", "/api/streams/nope")).status, 404);
    assert.equal((await call("PATCH", "/api/streams/nope", { title: "x" })).status, 404);
    assert.equal((await call("DELETE", "/api/streams/nope")).status, 404);
    assert.equal((await call("PATCH", "/api/streams/show", { visibility: "nope" })).status, 400);

    // Keys: several per path, named; shown once; revocable; unknown ids 404.
    const k1 = await call("POST", "/api/streams/show/keys", { name: "obs" });
    const k2 = await call("POST", "/api/streams/show/keys", { name: "backup" });
    assert.equal(k1.status, 201);
    assert.match(k1.body.key, /^lg_/);
    assert.match(k1.body.publishUrl, /^rtmp:\/\/.*\/show\?token=lg_/);
    assert.equal(k1.body.meta.hash, undefined);
    assert.equal((await call("POST", "/api/streams/show/keys", { name: "" })).status, 400);
    assert.equal((await call("POST", "/api/streams/show/keys", { name: 7 })).status, 400);
    assert.equal((await call("POST", "/api/streams/nope/keys", { name: "x" })).status, 404);
    const keys = await call("GET", "/api/streams/show/keys");
    assert.deepEqual(keys.body.keys.map((k: { name: string }) => k.name).sort(), ["backup", "obs"]);
    assert.equal((await call("DELETE", `/api/streams/show/keys/${k2.body.meta.id}`)).status, 200);
    assert.equal((await call("DELETE", `/api/streams/show/keys/${k2.body.meta.id}`)).status, 404);
    assert.equal((await call("DELETE", "/api/streams/show/keys/unknown")).status, 404);
    assert.equal(await findKey(t.kv, k2.body.key), null);

    // Share links only for unlisted streams; hours validated.
    assert.equal((await call("POST", "/api/streams/show/shares", { hours: 24 })).status, 400);
    await call("PATCH", "/api/streams/show", { visibility: "unlisted" });
    for (const hours of [0, -1, 100000, "abc", null]) {
      assert.equal((await call("POST", "/api/streams/show/shares", { hours })).status, 400, String(hours));
    }
    const sh = await call("POST", "/api/streams/show/shares", { hours: 24, label: "press" });
    assert.equal(sh.status, 201);
    assert.match(sh.body.url, /\/watch\/show\?share=/);
    assert.equal((await call("GET", "/api/streams/show/shares")).body.shares.length, 1);
    assert.equal((await call("DELETE", "/api/streams/show/shares/unknown")).status, 404);
    assert.equal((await call("DELETE", `/api/streams/show/shares/${sh.body.share.id}`)).status, 200);

    // Streamers: their own streams only; no create/delete, no owner changes.
    const sam = await api(t, "sam", "sam-password-1");
    const olga = await api(t, "olga", "olga-password-1");
    const vic = await api(t, "vic", "vic-password-1");
    assert.deepEqual(
      (await sam.call("GET", "/api/streams")).body.streams.map((s: { path: string }) => s.path),
      [
        "show",
      ],
    );
    assert.deepEqual((await olga.call("GET", "/api/streams")).body.streams, []);
    assert.equal((await vic.call("GET", "/api/streams")).status, 403);
    assert.equal((await sam.call("POST", "/api/streams/show/keys", { name: "mine" })).status, 201);
    assert.equal((await olga.call("POST", "/api/streams/show/keys", { name: "theirs" })).status, 403);
    assert.equal((await olga.call("GET", "/api/streams/show")).status, 403);
    assert.equal((await olga.call("POST", "/api/streams/show/kick")).status, 403);
    assert.equal((await vic.call("POST", "/api/streams/show/keys", { name: "x" })).status, 403);
    assert.equal((await sam.call("PATCH", "/api/streams/show", { title: "Sam's" })).status, 200);
    assert.equal((await sam.call("PATCH", "/api/streams/show", { owner: "olga" })).status, 403);
    assert.equal((await sam.call("POST", "/api/streams", { path: "new" })).status, 403);
    assert.equal((await sam.call("DELETE", "/api/streams/show")).status, 403);
    assert.equal((await sam.call("DELETE", `/api/streams/show/keys/${k1.body.meta.id}`)).status, 200);

    // Delete a stream: its keys and share links go with it.
    await call("POST", "/api/streams/show/shares", { hours: 1 });
    assert.equal((await call("DELETE", "/api/streams/show")).status, 200);
    assert.equal((await listKeys(t.kv, "show")).length, 0);
    assert.equal((await call("GET", "/api/streams/show")).status, 404);
  } finally {
    t.close();
  }
});

Deno.test("api: sessions list/revoke, live and kick without MediaMTX, audit log", async () => {
  const t = await testApp();
  try {
    const { call } = await api(t);
    await addUser(t.kv, "vic", "vic-password-1", "viewer");
    const vic = await api(t, "vic", "vic-password-1");
    assert.equal((await vic.call("GET", "/api/me")).status, 200);
    const sessions = (await call("GET", "/api/sessions?user=vic")).body.sessions;
    assert.equal(sessions.length, 1);
    assert.equal((await call("DELETE", "/api/sessions/not-hex")).status, 400);
    assert.equal((await call("DELETE", `/api/sessions/${"0".repeat(64)}`)).status, 404);
    assert.equal((await call("DELETE", `/api/sessions/${sessions[0].id}`)).status, 200);
    assert.equal((await vic.call("GET", "/api/me")).status, 401, "revoked session is gone");

    await call("POST", "/api/streams", { path: "show" });
    const live = await call("GET", "/api/streams/show/live");
    assert.equal(live.status, 502);
    assert.match(live.body.error, /MediaMTX/);
    assert.equal((await call("POST", "/api/streams/show/kick")).status, 502);
    assert.equal((await call("POST", "/api/streams/nope/kick")).status, 404);

    const audit = (await call("GET", "/api/audit")).body.entries as { action: string; actor: string }[];
    const actions = audit.map((a) => a.action);
    assert.ok(actions.includes("session.revoke"), actions.join());
    assert.ok(actions.includes("stream.create"), actions.join());
    assert.ok(audit.every((a) => a.actor === "admin"));
    assert.equal((await call("GET", "/api/audit?limit=0")).status, 400);
    // A refused action leaves no audit entry.
    await call("POST", "/api/streams", { path: "show" });
    assert.equal((await call("GET", "/api/audit")).body.entries.length, audit.length);
  } finally {
    t.close();
  }
});

Deno.test("admin API: a password reset ends the user's sessions; the admin's own reset keeps the current one", async () => {
  const t = await testApp();
  try {
    await addUser(t.kv, "rita", "rita-password-1", "viewer");
    const rita = new Jar(t.app);
    assert.equal((await rita.login("rita", "rita-password-1")).status, 303);
    assert.equal((await rita.req("/api/me")).status, 200);
    const admin = new Jar(t.app);
    assert.equal((await admin.login("admin", PASSWORD)).status, 303);
    const other = new Jar(t.app, "192.0.2.44");
    assert.equal((await other.login("admin", PASSWORD)).status, 303);
    const reset = (name: string, password: string) =>
      admin.req(`/api/users/${name}/password`, {
        method: "POST",
        headers: { "content-type": "application/json", "x-csrf-token": admin.cookies.get("lg_csrf")! },
        body: JSON.stringify({ password }),
      });
    assert.equal((await reset("rita", "rita-password-2")).status, 200);
    assert.equal((await rita.req("/api/me")).status, 401, "rita's old session ended");
    assert.equal((await new Jar(t.app).login("rita", "rita-password-2")).status, 303);
    assert.equal((await reset("admin", "admin-password-2")).status, 200);
    assert.equal((await admin.req("/api/me")).status, 200, "the admin's current session stays");
    assert.equal((await other.req("/api/me")).status, 401, "the admin's other session ended");
  } finally {
    t.close();
  }
});

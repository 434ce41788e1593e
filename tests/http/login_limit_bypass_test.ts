// Regression tests: ways around the login limits (src/auth/ratelimit.ts, src/auth/known-device.ts).
import assert from "node:assert/strict";
import { Jar, testApp } from "./helpers.ts";
import { addUser } from "../../src/store/users.ts";

Deno.test("http: a successful login to one's own account does not reset the per-IP limit (spraying)", async () => {
  const t = await testApp();
  try {
    const lim = t.cfg.loginLimits;
    await addUser(t.kv, "mallory", "mallory-password-1", "viewer");
    for (let i = 0; i < 5; i++) await addUser(t.kv, `victim${i}`, `victim-password-${i}`, "viewer");
    const attacker = new Jar(t.app, "198.51.100.77");
    // Spray one guess per victim name, just under the per-IP limit.
    for (let i = 0; i < lim.perIp - 1; i++) {
      assert.equal((await attacker.login(`victim${i % 5}`, `spray-${i}`)).status, 401);
    }
    // The attacker's own account logs in fine (the limit is not reached) ...
    assert.equal((await attacker.login("mallory", "mallory-password-1")).status, 303);
    attacker.cookies.delete("lg_session");
    // ... but that takes back only its own attempt: one more failure reaches the limit, then 429.
    assert.equal((await attacker.login("victim0", "spray-x")).status, 401);
    const blocked = await attacker.login("victim1", "spray-y");
    assert.equal(blocked.status, 429);
    await blocked.body?.cancel();
  } finally {
    t.close();
  }
});

Deno.test("http: a known-device cookie of 'Bob' does not lift the per-user limit of 'bob'", async () => {
  const t = await testApp();
  try {
    const lim = t.cfg.loginLimits;
    await addUser(t.kv, "Bob", "attacker-password-1", "viewer");
    await addUser(t.kv, "bob", "victim-password-123", "streamer");
    const attacker = new Jar(t.app, "198.51.100.88");
    assert.equal((await attacker.login("Bob", "attacker-password-1")).status, 303);
    assert.ok(attacker.cookies.get("lg_device"));
    attacker.cookies.delete("lg_session");
    // 'bob' reaches the per-user limit (guesses from many addresses).
    for (let i = 0; i < lim.perUser; i++) {
      const s = (await new Jar(t.app, `203.0.113.${i + 1}`).login("bob", `spray-${i}`)).status;
      assert.ok(s === 401 || s === 429, `spray ${i}: ${s}`);
    }
    // The device cookie belongs to 'Bob', a different user: 'bob' stays locked for this browser.
    const r = await attacker.login("bob", "another-guess");
    assert.equal(r.status, 429);
    await r.body?.cancel();
  } finally {
    t.close();
  }
});

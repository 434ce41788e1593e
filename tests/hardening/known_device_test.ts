// Issue 25 (low): the known-device cookie (lg_device) that lifts the per-user login limit is always one
// livegate issued: a value planted in the browser is never adopted, every successful login gets a fresh one
// (the old record deleted), and a password change or the user's deletion drops all of the user's devices.
// In-process; the per-user limit is reached by guesses from many addresses, as in a distributed attack.
import assert from "node:assert/strict";
import { Jar, PASSWORD, testApp } from "../http/helpers.ts";
import { addUser, setPassword } from "../../src/store/users.ts";
import { countDevices, isDevice } from "../../src/store/devices.ts";
import { api } from "./api.ts";

type T = Awaited<ReturnType<typeof testApp>>;

/** Guesses from perUser different addresses: the per-user limit of `user` is reached. */
async function spray(t: T, user: string, net: number) {
  for (let i = 0; i < t.cfg.loginLimits.perUser; i++) {
    const s = (await new Jar(t.app, `203.0.${net}.${i + 1}`).login(user, `spray-${i}`)).status;
    assert.ok(s === 401 || s === 429, `spray ${i}: ${s}`);
  }
}

Deno.test("hardening: a planted lg_device value is never adopted; each login issues a fresh one", async () => {
  const t = await testApp();
  try {
    await addUser(t.kv, "vic", "vic-password-123", "viewer");
    // The attacker plants a well-formed value in the victim's browser (e.g. from a sibling subdomain).
    const planted = "P".repeat(43);
    const victim = new Jar(t.app, "192.0.2.50");
    victim.cookies.set("lg_device", planted);
    assert.equal((await victim.login("vic", "vic-password-123")).status, 303);
    const issued = victim.cookies.get("lg_device")!;
    assert.ok(issued && issued !== planted, "livegate issued its own token");
    assert.match(issued, /^[A-Za-z0-9_-]{43}$/);
    assert.equal(await isDevice(t.kv, "vic", planted), false, "the planted value is not remembered");
    assert.equal(await isDevice(t.kv, "vic", issued), true);

    // Logging in again rotates it: new token, the old record gone.
    victim.cookies.delete("lg_session");
    assert.equal((await victim.login("vic", "vic-password-123")).status, 303);
    const rotated = victim.cookies.get("lg_device")!;
    assert.notEqual(rotated, issued);
    assert.equal(await isDevice(t.kv, "vic", issued), false, "the previous token is dropped");
    assert.equal(await countDevices(t.kv, "vic"), 1, "one browser, one record");

    // Under a distributed attack the planted value (and the rotated-out token) do not get past the limit;
    // the victim's current token does.
    await spray(t, "vic", 1);
    for (const [what, value] of [["planted", planted], ["rotated out", issued]]) {
      const j = new Jar(t.app, "198.51.100.60");
      j.cookies.set("lg_device", value);
      const r = await j.login("vic", "vic-password-123");
      assert.equal(r.status, 429, what);
      await r.body?.cancel();
    }
    const real = new Jar(t.app, "192.0.2.51");
    real.cookies.set("lg_device", rotated);
    assert.equal((await real.login("vic", "vic-password-123")).status, 303, "the real browser still gets in");
  } finally {
    t.close();
  }
});

Deno.test("hardening: a password change and the user's deletion drop all of the user's known devices", async () => {
  const t = await testApp();
  try {
    await addUser(t.kv, "vic", "vic-password-123", "viewer");
    const admin = new Jar(t.app, "192.0.2.1");
    assert.equal((await admin.login("admin", PASSWORD)).status, 303);
    const browsers = ["192.0.2.61", "192.0.2.62"].map((ip) => new Jar(t.app, ip));
    for (const b of browsers) assert.equal((await b.login("vic", "vic-password-123")).status, 303);
    assert.equal(await countDevices(t.kv, "vic"), 2);

    // Reset by an admin (API): no device of vic is known any more.
    const reset = await api(admin, "POST", "/api/users/vic/password", { password: "vic-password-456" });
    assert.equal(reset.status, 200);
    assert.equal(await countDevices(t.kv, "vic"), 0);
    await spray(t, "vic", 2);
    const r = await browsers[0].login("vic", "vic-password-456");
    assert.equal(r.status, 429, "a browser known before the reset waits like any other");
    await r.body?.cancel();

    // The store function itself (used by the CLI's `user passwd` too).
    await addUser(t.kv, "amy", "amy-password-123", "viewer");
    const amy = new Jar(t.app, "192.0.2.63");
    assert.equal((await amy.login("amy", "amy-password-123")).status, 303);
    assert.equal(await countDevices(t.kv, "amy"), 1);
    await setPassword(t.kv, "amy", "amy-password-456");
    assert.equal(await countDevices(t.kv, "amy"), 0);

    // Deleted: records gone; a new user of the same name gets nothing from the old browser.
    assert.equal((await amy.login("amy", "amy-password-456")).status, 303);
    const token = amy.cookies.get("lg_device")!;
    assert.equal((await api(admin, "DELETE", "/api/users/amy")).status, 200);
    assert.equal(await countDevices(t.kv, "amy"), 0);
    await addUser(t.kv, "amy", "new-amy-password-1", "viewer");
    assert.equal(await isDevice(t.kv, "amy", token), false);
    await spray(t, "amy", 3);
    const old = new Jar(t.app, "192.0.2.64");
    old.cookies.set("lg_device", token);
    const o = await old.login("amy", "new-amy-password-1");
    assert.equal(o.status, 429, "the deleted user's device does not exempt the new one");
    await o.body?.cancel();
  } finally {
    t.close();
  }
});

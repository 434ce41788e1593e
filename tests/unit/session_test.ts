import assert from "node:assert/strict";
import { createSession, deleteSession, getSession } from "../../src/store/sessions.ts";
import { addUser, deleteUser } from "../../src/store/users.ts";
import { storeOf } from "../../src/store/kv.ts";

const TTL = 3600;

Deno.test("session: valid until expiry, then gone", async () => {
  const kv = storeOf(await Deno.openKv(":memory:"));
  try {
    const token = await createSession(kv, "alice", TTL);
    const now = Date.now();
    assert.equal((await getSession(kv, token, TTL, now))?.user, "alice");
    assert.equal(await getSession(kv, token, TTL, now + TTL * 1000 + 1), null, "expired");
    assert.equal(await getSession(kv, token, TTL, now), null, "deleted once seen expired");
  } finally {
    kv.kv.close();
  }
});

Deno.test("session: sliding renewal past half its lifetime", async () => {
  const kv = storeOf(await Deno.openKv(":memory:"));
  try {
    const token = await createSession(kv, "bob", TTL);
    const s0 = (await getSession(kv, token, TTL))!;
    const early = (await getSession(kv, token, TTL, s0.created + 10_000))!;
    assert.equal(early.expiresAt, s0.expiresAt, "no renewal early on");
    const later = s0.created + (TTL * 1000 * 3) / 4;
    const renewed = (await getSession(kv, token, TTL, later))!;
    assert.equal(renewed.expiresAt, later + TTL * 1000);
    // Still valid past the original expiry thanks to renewal.
    assert.equal((await getSession(kv, token, TTL, s0.expiresAt + 1000))?.user, "bob");
  } finally {
    kv.kv.close();
  }
});

Deno.test("session: logout deletes; unknown or oversized tokens are no session", async () => {
  const kv = storeOf(await Deno.openKv(":memory:"));
  try {
    const token = await createSession(kv, "carol", TTL);
    await deleteSession(kv, token);
    assert.equal(await getSession(kv, token, TTL), null);
    assert.equal(await getSession(kv, "nope", TTL), null);
    assert.equal(await getSession(kv, "x".repeat(1000), TTL), null);
    assert.equal(await getSession(kv, undefined, TTL), null);
  } finally {
    kv.kv.close();
  }
});

Deno.test("session: deleting a user ends their sessions", async () => {
  const kv = storeOf(await Deno.openKv(":memory:"));
  try {
    await addUser(kv, "dave", "password-1234", "viewer");
    const token = await createSession(kv, "dave", TTL);
    await deleteUser(kv, "dave");
    assert.equal(await getSession(kv, token, TTL), null);
  } finally {
    kv.kv.close();
  }
});

Deno.test("session: KV stores only a hash of the token", async () => {
  const kv = storeOf(await Deno.openKv(":memory:"));
  try {
    const token = await createSession(kv, "erin", TTL);
    for await (const e of kv.kv.list({ prefix: [] })) {
      assert.ok(!JSON.stringify(e.key).includes(token) && !JSON.stringify(e.value).includes(token));
    }
  } finally {
    kv.kv.close();
  }
});

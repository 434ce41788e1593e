import assert from "node:assert/strict";
import { SessionCache, TTL_MS } from "../../src/auth/session-cache.ts";
import type { User } from "../../src/store/users.ts";

const user = { name: "u", role: "viewer" } as unknown as User;
const session = (expiresAt: number) => ({ user: "u", created: 0, expiresAt });

Deno.test("session cache: hit within TTL, miss after TTL, after the session expires, after clear", () => {
  const c = new SessionCache();
  c.set("a", session(1_000_000), user, 1000);
  assert.equal(c.get("a", 1000 + TTL_MS - 1)?.user, user);
  assert.equal(c.get("a", 1000 + TTL_MS), undefined);
  assert.equal(c.size, 0, "expired entry removed");
  c.set("b", session(1500), user, 1000);
  assert.equal(c.get("b", 1500), undefined, "session expiry wins over the TTL");
  c.set("c", session(1_000_000), user, 1000);
  c.clear();
  assert.equal(c.get("c", 1001), undefined);
  assert.equal(c.get("never", 1001), undefined);
});

Deno.test("session cache: stays bounded", () => {
  const c = new SessionCache();
  for (let i = 0; i < 50_000; i++) c.set(`t${i}`, session(1e12), user, 1000);
  assert.ok(c.size <= 20_000, `size ${c.size}`);
  assert.ok(c.get("t49999", 1001), "the newest entry is kept");
});

// Cost of the per-request access decisions the media proxies make (every playlist, part and segment request
// of every viewer asks the door for "watch" unless a pass or the decision cache answers), and of the hook's
// publish-key decision.
// Run: deno bench -A bench/permissions_bench.ts
import { Access } from "../src/auth/access.ts";
import { PublishTickets } from "../src/auth/publish-tickets.ts";
import { systemClock } from "../src/core/clock.ts";
import { storeOf } from "../src/store/kv.ts";
import { createStream } from "../src/store/streams.ts";
import { createShare } from "../src/store/shares.ts";
import { createKey } from "../src/store/keys.ts";
import type { User } from "../src/store/users.ts";

const kv = storeOf(await Deno.openKv(":memory:"));
const door = new Access({ store: kv, tickets: new PublishTickets(), clock: systemClock });
await kv.kv.set(["users", "sam"], { name: "sam", role: "streamer", passwordHash: "x", created: 0 });
for (let i = 0; i < 200; i++) await createStream(kv, `s${i}`, { visibility: i % 2 ? "public" : "private" });
await createStream(kv, "club", {
  visibility: "private",
  allow: Array.from({ length: 500 }, (_, i) => `u${i}`),
});
await createStream(kv, "unl", { visibility: "unlisted", owner: "sam" });
const { token } = await createShare(kv, "unl", { hours: 1, createdBy: "sam" });
const { key } = await createKey(kv, "unl", "obs", { owner: "sam" });
const viewer: User = { name: "u499", role: "viewer", passwordHash: "x", created: 0 };

Deno.bench("watch: public stream, anonymous", async () => {
  await door.authorize({ actor: { kind: "anonymous" }, action: "watch", path: "s1" });
});
Deno.bench("watch: private stream, logged-in viewer", async () => {
  await door.authorize({ actor: { kind: "user", user: viewer }, action: "watch", path: "s0" });
});
Deno.bench("watch: allow-list of 500, last name", async () => {
  await door.authorize({ actor: { kind: "user", user: viewer }, action: "watch", path: "club" });
});
Deno.bench("watch: unlisted with share token (HMAC + record)", async () => {
  const d = await door.authorize({
    actor: { kind: "share", token, user: null },
    action: "watch",
    path: "unl",
  });
  if (!d.allow) throw new Error("share refused");
});
Deno.bench("publish: owner's key, uncached (hook publish)", async () => {
  const d = await door.authorize({ actor: { kind: "key", key }, action: "publish", path: "unl" }, {
    cache: false,
  });
  if (!d.allow) throw new Error("key refused");
});

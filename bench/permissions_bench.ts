// Cost of the per-request permission checks the media proxies make (every playlist, part and segment
// request of every viewer goes through watchDecision), and of the hook's publish-key check.
// Run: deno bench -A bench/permissions_bench.ts
import { checkPublishKey, watchDecision } from "../src/auth/permissions.ts";
import { createStream } from "../src/store/streams.ts";
import { createShare } from "../src/store/shares.ts";
import { createKey } from "../src/store/keys.ts";
import type { User } from "../src/store/users.ts";

const kv = await Deno.openKv(":memory:");
await kv.set(["users", "sam"], { name: "sam", role: "streamer", passwordHash: "x", created: 0 });
for (let i = 0; i < 200; i++) await createStream(kv, `s${i}`, { visibility: i % 2 ? "public" : "private" });
await createStream(kv, "club", {
  visibility: "private",
  allow: Array.from({ length: 500 }, (_, i) => `u${i}`),
});
await createStream(kv, "unl", { visibility: "unlisted", owner: "sam" });
const { token } = await createShare(kv, "unl", { hours: 1, createdBy: "sam" });
const { key } = await createKey(kv, "unl", "obs", { owner: "sam" });
const viewer: User = { name: "u499", role: "viewer", passwordHash: "x", created: 0 };

Deno.bench("watchDecision: public stream, anonymous", async () => {
  await watchDecision(kv, null, "s1");
});
Deno.bench("watchDecision: private stream, logged-in viewer", async () => {
  await watchDecision(kv, viewer, "s0");
});
Deno.bench("watchDecision: allow-list of 500, last name", async () => {
  await watchDecision(kv, viewer, "club");
});
Deno.bench("watchDecision: unlisted with share token (HMAC + record)", async () => {
  const d = await watchDecision(kv, null, "unl", token);
  if (!d.allow) throw new Error("share refused");
});
Deno.bench("checkPublishKey: owner's key (hook publish)", async () => {
  const d = await checkPublishKey(kv, "unl", key);
  if (!d.allow) throw new Error("key refused");
});

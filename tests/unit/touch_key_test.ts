import assert from "node:assert/strict";
import { createKey, findKey, TOUCH_EVERY_MS, touchKey } from "../../src/store/keys.ts";
import { storeOf } from "../../src/store/kv.ts";

Deno.test("touchKey: records lastUsed, then at most once per TOUCH_EVERY_MS", async () => {
  const kv = storeOf(await Deno.openKv(":memory:"));
  try {
    const { key } = await createKey(kv, "live", "t");
    const k0 = (await findKey(kv, key))!;
    assert.equal(k0.lastUsed, undefined);
    await touchKey(kv, k0, 1_000_000);
    const k1 = (await findKey(kv, key))!;
    assert.equal(k1.lastUsed, 1_000_000);
    await touchKey(kv, k1, 1_000_000 + TOUCH_EVERY_MS - 1);
    assert.equal((await findKey(kv, key))!.lastUsed, 1_000_000, "not written again within the interval");
    await touchKey(kv, k1, 1_000_000 + TOUCH_EVERY_MS);
    assert.equal((await findKey(kv, key))!.lastUsed, 1_000_000 + TOUCH_EVERY_MS);
  } finally {
    kv.kv.close();
  }
});

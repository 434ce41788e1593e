// The player narrows hls.js's latency target again after a stall-free stretch (static/hls-config.ts).
import assert from "node:assert/strict";
import { relaxLatencyAfterStalls } from "../../static/hls-config.ts";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

Deno.test("player: a widened latency target returns to the base after a stall-free stretch, not before", async () => {
  const hls = { targetLatency: 1.5 as number | null };
  const media = new EventTarget() as unknown as HTMLMediaElement;
  const stop = relaxLatencyAfterStalls(hls, media, 0.5, 1500);
  try {
    await sleep(1100);
    assert.equal(hls.targetLatency, 1.5, "too early");
    media.dispatchEvent(new Event("waiting")); // a stall: the stall-free stretch starts again
    await sleep(1000);
    assert.equal(hls.targetLatency, 1.5, "a stall restarted the stretch");
    await sleep(1600);
    assert.equal(hls.targetLatency, 0.5);
    hls.targetLatency = 0.52; // within 50 ms of the base: left alone
    await sleep(1100);
    assert.equal(hls.targetLatency, 0.52);
  } finally {
    stop();
  }
});

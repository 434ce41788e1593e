// The quality ladder on WebRTC in real Chromium, with real MediaMTX and ffmpeg, sized for 2 cores: a
// 640x360 H.264 + Opus source over RTSP (what WebRTC can carry) and one 180p rung. The player on WebRTC
// offers Auto, the source and the rung; picking the rung switches the WHEP session to /whep/live/180p
// and the picture becomes 320x180 while the sound goes on (the stream's audio-only session); picking the
// source brings 640x360 back; on Auto with a good network it stays on the source. Auto's automatic steps
// are tested with stats sequences in tests/unit/rtc_auto_test.ts: a network that WebRTC cannot carry could
// not be made here (DevTools network conditions do not reach WebRTC's UDP, and Chromium's
// WebRTC-FakeNetworkReceiveConfig field trial did not limit the stream: 27.6 frames/s with
// link_capacity_kbps:400, 27.9 without, measured side by side).
import assert from "node:assert/strict";
import type { Page } from "playwright-core";
import { launchChromium, videoInfo } from "./chromium.ts";
import { ADMIN_PASSWORD, Client, publish, startLivegate, stopProc, waitFor } from "./harness.ts";

const menu = (page: Page) =>
  page.evaluate(() => {
    const el = document.getElementById("quality");
    const sel = el?.querySelector("select");
    const v = document.getElementById("video") as HTMLVideoElement;
    const lg = (globalThis as unknown as { livegate: { mode: string; frames: number } }).livegate;
    return {
      hidden: !el || el.classList.contains("hidden"),
      auto: el?.dataset.auto ?? "",
      current: el?.dataset.current ?? "",
      error: el?.dataset.error ?? "",
      switches: Number(el?.dataset.switches ?? "0"),
      audioPackets: Number(el?.dataset.audioPackets ?? "0"),
      audioEnergy: Number(el?.dataset.audioEnergy ?? "0"),
      options: sel ? [...sel.options].map((o) => ({ value: o.value, text: o.textContent ?? "" })) : [],
      size: `${v.videoWidth}x${v.videoHeight}`,
      mode: lg.mode,
      frames: lg.frames,
    };
  });

/** Samples the player's presented-frame count (window.livegate.frames) every 50 ms in the page. */
async function startSampler(page: Page) {
  await page.evaluate(() => {
    const w = globalThis as unknown as { samples: [number, number][]; livegate: { frames: number } };
    w.samples = [];
    setInterval(() => w.samples.push([Date.now(), w.livegate.frames]), 50);
  });
}

/** The longest wall-clock span (ms) between `from` and `to` in which no new frame was presented. */
async function longestFrameGap(page: Page, from: number, to: number): Promise<number> {
  const s = await page.evaluate(() => (globalThis as unknown as { samples: [number, number][] }).samples);
  let gap = 0;
  let last = from;
  let prev: number | null = null;
  for (const [t, n] of s) {
    if (t < from || t > to) continue;
    if (prev !== null && n > prev) last = t;
    gap = Math.max(gap, t - last);
    prev = n;
  }
  return gap;
}

const METRICS_TOKEN = "ladder-webrtc-metrics-token-0123456789";

/** Readers of `path` as MediaMTX counts them (livegate's /metrics: livegate_stream_readers). */
async function readers(url: string, path: string): Promise<number> {
  const m = await (await fetch(`${url}/metrics`, { headers: { authorization: `Bearer ${METRICS_TOKEN}` } }))
    .text();
  const v = new RegExp(`^livegate_stream_readers\\{path="${path}"\\} (\\d+)`, "m").exec(m);
  return v ? Number(v[1]) : -1;
}

Deno.test({
  name: "e2e browser: WebRTC viewer of a laddered stream picks the rung and gets its size, sound goes on",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn(t) {
    // No stills: a still is a reader of the stream every 10 s, and the readers of 'live' are counted below.
    const lg = await startLivegate({ LIVEGATE_METRICS_TOKEN: METRICS_TOKEN, LIVEGATE_THUMBNAILS: "false" });
    const admin = new Client(lg.url);
    let pub: Deno.ChildProcess | undefined;
    const browser = await launchChromium();
    try {
      assert.equal((await admin.login("admin", ADMIN_PASSWORD)).status, 303);
      const set = await admin.api("PATCH", "/api/streams/live", {
        ladder: { enabled: true, rungs: [{ height: 180, kbps: 250 }] },
      });
      assert.equal(set.status, 200);
      pub = publish(`rtsp://127.0.0.1:${lg.env.LIVEGATE_RTSP_PORT}/live?token=${lg.key}`, 600, {
        format: "rtsp",
        audio: "opus",
      });
      const rungs = await waitFor("the 180p rung live", async () => {
        const r = await admin.api("GET", "/api/streams/live/rungs");
        return r.status === 200 && r.body.rungs.length === 1 ? r.body : undefined;
      }, 60_000);
      assert.deepEqual(rungs, {
        source: { width: 640, height: 360 },
        rungs: [{ height: 180, width: 320, kbps: 250, whep: "/whep/live/180p" }],
      });

      const ctx = await browser.newContext();
      const page = await ctx.newPage();
      page.on("console", (m) => {
        if (/WebRTC quality/.test(m.text())) console.log(`  browser: ${m.text()}`);
      });
      await page.goto(`${lg.url}/login`);
      await page.fill("input[name=user]", "admin");
      await page.fill("input[name=password]", ADMIN_PASSWORD);
      await Promise.all([page.waitForURL(`${lg.url}/`), page.click("button[type=submit]")]);
      await page.goto(`${lg.url}/watch/live`);

      let onSource = -1;
      await t.step("on WebRTC, the menu lists Auto, the source and the rung", async () => {
        const m = await waitFor("WebRTC playing with the menu", async () => {
          const m = await menu(page);
          return m.mode === "webrtc" && m.frames > 10 && !m.hidden && m.size === "640x360" ? m : undefined;
        }, 60_000);
        assert.deepEqual(m.options.map((o) => o.text), ["Auto (360p)", "360p · source", "180p · 250 kbit/s"]);
        assert.equal(m.auto, "1");
        assert.equal(m.current, "360");
        await startSampler(page);
        // livegate reads MediaMTX's readers on a timer: wait until it has seen this viewer, then until two
        // readings 3 s apart agree (the baseline the switches below are compared with).
        onSource = await waitFor("the viewer counted as a reader", async () => {
          const n = await readers(lg.url, "live");
          return n >= 2 ? n : undefined;
        }, 20_000).catch(async () => await readers(lg.url, "live"));
        for (let i = 0; i < 5; i++) {
          await new Promise((r) => setTimeout(r, 3000));
          const again = await readers(lg.url, "live");
          if (again === onSource) break;
          onSource = again;
        }
        assert.ok(onSource >= 2, `the ladder's ffmpeg and this viewer read 'live' (${onSource})`);
      });

      await t.step(
        "picking 180p: a 320x180 picture from the rung's WHEP session, sound goes on",
        async () => {
          // The peer: the longest frame gap of steady play over 5 s just before, on this machine now.
          const b0 = Date.now();
          await new Promise((r) => setTimeout(r, 5000));
          const steady = await longestFrameGap(page, b0, Date.now());
          // Meanwhile Auto judged a good network: it stayed on the source.
          const still = await menu(page);
          assert.equal(still.current, "360", `Auto stayed on the source (${still.switches} switches)`);
          assert.equal(still.switches, 0);
          const from = Date.now();
          await page.selectOption("#quality select", "1");
          // The source session ended, the audio-only one started: as many readers of 'live' as before.
          await waitFor(
            "the source session ended",
            async () =>
              (await readers(lg.url, "live")) === onSource && (await menu(page)).current === "180"
                ? true
                : undefined,
            40_000,
          ).catch(async (e) => {
            throw new Error(`${e.message}: ${await readers(lg.url, "live")} readers, ${onSource} before`);
          });
          const m = await waitFor("on 180p", async () => {
            const m = await menu(page);
            if (m.error) throw new Error(m.error);
            return m.current === "180" && m.size === "320x180" ? m : undefined;
          }, 40_000);
          assert.equal(m.auto, "0");
          assert.equal(m.mode, "webrtc");
          // Make-before-break: the picture goes on through the switch (no gap over 1 s; on a machine so
          // loaded that steady play stalls, no more than 0.5 s over what steady play showed).
          await new Promise((r) => setTimeout(r, 1000));
          const gap = await longestFrameGap(page, from, Date.now());
          console.log(
            `WebRTC switch to 180p: longest frame gap ${gap} ms (steady play before: ${steady} ms)`,
          );
          assert.ok(gap <= Math.max(1000, steady + 500), `no new frame for ${gap} ms around the switch`);
          // The sound: the stream's audio-only session delivers (read every second by the menu).
          const a0 = await waitFor("audio on the rung", async () => {
            const m = await menu(page);
            return m.audioPackets > 0 ? m.audioPackets : undefined;
          }, 20_000);
          const f0 = (await menu(page)).frames;
          const i0 = await videoInfo(page);
          await new Promise((r) => setTimeout(r, 3000));
          const i1 = await videoInfo(page);
          const m1 = await menu(page);
          assert.ok(m1.frames > f0 + 20, `frames keep coming on the rung (${f0} -> ${m1.frames})`);
          assert.ok(i1.t > i0.t + 2, `currentTime advances (${i0.t} -> ${i1.t})`);
          // The sound: Opus packets with energy (the 440 Hz tone) on the stream's audio-only session.
          assert.ok(m1.audioPackets > a0 + 50, `audio packets ${a0} -> ${m1.audioPackets}`);
          assert.ok(m1.audioEnergy > 0, "the audio is not silence");
          const tracks = await page.evaluate(() =>
            ((document.getElementById("video") as HTMLVideoElement).srcObject as MediaStream).getTracks()
              .map((t) => `${t.kind}:${t.readyState}`)
          );
          assert.deepEqual(
            tracks.sort(),
            ["audio:live", "video:live"],
            "the player plays one video and one audio track",
          );
          assert.equal(m1.size, "320x180");
        },
      );

      await t.step("back to the source: 640x360 again", async () => {
        await page.selectOption("#quality select", "0");
        await waitFor("on the source", async () => {
          const m = await menu(page);
          return m.current === "360" && m.size === "640x360" ? m : undefined;
        }, 40_000);
        const f0 = (await menu(page)).frames;
        await waitFor(
          "the audio-only session ended",
          async () => (await readers(lg.url, "live")) === onSource || undefined,
          20_000,
        ).catch(async (e) => {
          throw new Error(`${e.message}: ${await readers(lg.url, "live")} readers, ${onSource} before`);
        });
        await new Promise((r) => setTimeout(r, 2000));
        assert.ok((await menu(page)).frames > f0 + 10, "frames keep coming on the source");
        await page.selectOption("#quality select", "-1");
        assert.equal((await menu(page)).auto, "1");
      });
      await ctx.close();
    } finally {
      await browser.close();
      if (pub) await stopProc(pub);
      await lg.stop();
    }
  },
});

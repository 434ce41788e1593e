// The real player in Chromium resumes by itself, without a page reload, after MediaMTX is killed (and the
// publisher reconnects) and after livegate is restarted (the session cookie stays valid). Two pages: the
// default mode (LL-HLS for this AAC stream) and ?mode=webrtc.
import assert from "node:assert/strict";
import type { Page } from "playwright-core";
import { launchChromium } from "../e2e/chromium.ts";
import { ADMIN_PASSWORD, publish, startLivegate, stopProc, waitFor } from "../e2e/harness.ts";
import { mediamtxPid, restartLivegate } from "./viewer.ts";

const currentTime = (p: Page) =>
  p.evaluate(() => (document.getElementById("video") as HTMLVideoElement).currentTime);

/** Resolves once the video advanced by `secs` of media (from whatever position it is at now). */
async function playsOn(p: Page, what: string, secs = 2, ms = 45_000): Promise<number> {
  const t0 = Date.now();
  let start = await currentTime(p);
  await waitFor(what, async () => {
    const t = await currentTime(p);
    if (t < start) start = t; // a new media element timeline after a restart
    return t - start >= secs ? true : undefined;
  }, ms);
  return Date.now() - t0;
}

Deno.test({
  name:
    "hardening (faults, browser): the player resumes without a reload after MediaMTX and livegate restarts",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    let lg = await startLivegate();
    const browser = await launchChromium();
    let pub: Deno.ChildProcess | undefined;
    const report: string[] = [];
    try {
      const rtmp = () => `rtmp://127.0.0.1:${lg.rtmpPort}/live?token=${lg.key}`;
      pub = publish(rtmp(), 600);
      const ctx = await browser.newContext();
      const login = await ctx.newPage();
      await login.goto(`${lg.url}/login`);
      await login.fill("input[name=user]", "admin");
      await login.fill("input[name=password]", ADMIN_PASSWORD);
      await Promise.all([login.waitForURL(`${lg.url}/`), login.click("button[type=submit]")]);
      await login.close();
      const pages: [string, Page][] = [];
      for (const q of ["", "?mode=webrtc"]) {
        const p = await ctx.newPage();
        await p.goto(`${lg.url}/watch/live${q}`);
        await p.evaluate(() => ((globalThis as unknown as { noReload: boolean }).noReload = true));
        pages.push([q || "default", p]);
      }
      const all = async (what: string) => {
        const ms = await Promise.all(pages.map(([name, p]) => playsOn(p, `${name}: ${what}`)));
        const modes = await Promise.all(
          pages.map(([, p]) =>
            p.evaluate(() => (globalThis as unknown as { livegate: { mode: string } }).livegate.mode)
          ),
        );
        report.push(`${what}: ${pages.map(([name], i) => `${name} (${modes[i]}) ${ms[i]} ms`).join(", ")}`);
      };
      await all("playing after load");

      // MediaMTX killed; the supervisor restarts it; the publisher reconnects.
      const old = mediamtxPid(lg.logs);
      Deno.kill(old, "SIGKILL");
      await waitFor("MediaMTX restarted", () => Promise.resolve(mediamtxPid(lg.logs) !== old || undefined));
      await stopProc(pub);
      pub = publish(rtmp(), 600);
      await all("MediaMTX killed, resumed after the publisher reconnected");

      // livegate restarted (same data dir and ports).
      lg = await restartLivegate(lg);
      await stopProc(pub);
      pub = publish(rtmp(), 600);
      await all("livegate restarted, resumed after");
      for (const [name, p] of pages) {
        const kept = await p.evaluate(() =>
          (globalThis as unknown as { noReload?: boolean }).noReload === true
        );
        assert.ok(kept, `${name}: the page was reloaded`);
        assert.match(p.url(), /\/watch\/live/, `${name}: still on the player, not sent to /login`);
      }
      console.log(`player resume:\n  ${report.join("\n  ")}`);
    } finally {
      if (pub) await stopProc(pub);
      await browser.close();
      await lg.stop();
    }
  },
});

// One-off, NOT part of the test suite (no _test suffix): the before/after phone screenshots of issue 24
// (docs/screenshots/README.md). Runs the livegate of any checkout of this repository with that checkout's own
// e2e harness (real MediaMTX, ffmpeg), makes the same state in each (admin, a streamer 'sam' with a public
// stream 'studio' that is live from an OBS-style key), and captures in Chromium at 390x844:
//   dashboard.png    /admin as the admin
//   stream-page.png  /admin/streams/studio as the streamer
//   player.png       /watch/studio as an anonymous viewer, once the video plays
// Each capture is the page's full width (so a page wider than the phone shows how much) and at most two
// screens (1688 px) tall.
//
// Usage (after `eval "$(bash scripts/setup.sh --test)"` and `deno task build` in <tree>):
//   deno run -A tests/e2e/phone_shots.ts <tree> <out dir>
// e.g. the state before issue 24:
//   git worktree add --detach /tmp/newcomer-before c813135   # parent of the first #24 commit
//   (cd /tmp/newcomer-before && deno task build)
//   deno run -A tests/e2e/phone_shots.ts /tmp/newcomer-before docs/screenshots/before
//   deno run -A tests/e2e/phone_shots.ts . docs/screenshots/after
//   git worktree remove /tmp/newcomer-before
import { resolve } from "node:path";
import type { Browser, Page } from "playwright-core";
import { launchChromium } from "./chromium.ts";

const VIEWPORT = { width: 390, height: 844 };
const MAX_HEIGHT = 2 * VIEWPORT.height;
const SAM_PASSWORD = "sam-password-123";

/** Screenshot of the page's full width and at most MAX_HEIGHT px; returns the page's width in px. */
async function shoot(page: Page, file: string): Promise<number> {
  const { w, h } = await page.evaluate(() => ({
    w: document.documentElement.scrollWidth,
    h: document.documentElement.scrollHeight,
  }));
  const clip = { x: 0, y: 0, width: Math.max(w, VIEWPORT.width), height: Math.min(h, MAX_HEIGHT) };
  await page.screenshot({ path: file, fullPage: true, clip });
  return w;
}

async function loggedIn(browser: Browser, base: string, user: string, password: string) {
  const ctx = await browser.newContext({ viewport: VIEWPORT, deviceScaleFactor: 1 });
  const p = await ctx.newPage();
  await p.goto(`${base}/login`);
  await p.fill("input[name=user]", user);
  await p.fill("input[name=password]", password);
  await Promise.all([p.waitForURL(`${base}/`), p.click("button[type=submit]")]);
  await p.close();
  return ctx;
}

async function main() {
  const [treeArg, outArg] = Deno.args;
  if (!treeArg || !outArg) throw new Error("usage: deno run -A tests/e2e/phone_shots.ts <tree> <out dir>");
  const tree = resolve(treeArg);
  const out = resolve(outArg);
  // That checkout's own harness: it starts that checkout's main.ts with that checkout's deno.json.
  const h = await import(`file://${tree}/tests/e2e/harness.ts`);
  await Deno.mkdir(out, { recursive: true });
  const lg = await h.startLivegate();
  const browser = await launchChromium();
  let pub: Deno.ChildProcess | undefined;
  try {
    const admin = new h.Client(lg.url);
    if ((await admin.login("admin", h.ADMIN_PASSWORD)).status !== 303) throw new Error("admin login failed");
    const must = async (what: string, r: Promise<{ status: number; body: unknown }>, want: number) => {
      const a = await r;
      if (a.status !== want) throw new Error(`${what}: ${a.status} ${JSON.stringify(a.body)}`);
      // deno-lint-ignore no-explicit-any
      return a.body as any;
    };
    await must(
      "create sam",
      admin.api("POST", "/api/users", { name: "sam", role: "streamer", password: SAM_PASSWORD }),
      201,
    );
    await must(
      "create studio",
      admin.api("POST", "/api/streams", {
        path: "studio",
        title: "Studio",
        visibility: "public",
        owner: "sam",
      }),
      201,
    );
    // The streamer makes a key for OBS (the API the stream page's button calls, in both versions).
    const sam = new h.Client(lg.url);
    if ((await sam.login("sam", SAM_PASSWORD)).status !== 303) throw new Error("sam login failed");
    const key = (await must("key", sam.api("POST", "/api/streams/studio/keys", { name: "obs" }), 201)).key;
    pub = h.publish(`rtmp://127.0.0.1:${lg.rtmpPort}/studio?token=${key}`, 300) as Deno.ChildProcess;
    await h.waitHlsOnline(admin, "studio", 60_000);

    const adminCtx = await loggedIn(browser, lg.url, "admin", h.ADMIN_PASSWORD);
    const samCtx = await loggedIn(browser, lg.url, "sam", SAM_PASSWORD);
    const anonCtx = await browser.newContext({ viewport: VIEWPORT, deviceScaleFactor: 1 });
    const shots: [typeof adminCtx, string, string][] = [
      [adminCtx, "/admin", "dashboard"],
      [samCtx, "/admin/streams/studio", "stream-page"],
      [anonCtx, "/watch/studio", "player"],
    ];
    for (const [ctx, path, name] of shots) {
      const page = await ctx.newPage();
      await page.goto(`${lg.url}${path}`);
      await page.waitForLoadState("load");
      if (name === "player") {
        // Until the video plays (generous: the machine is shared), then a moment for the status line.
        await page.waitForFunction(
          () => {
            const v = document.getElementById("video") as HTMLVideoElement | null;
            return !!v && v.currentTime > 0.5 && v.videoWidth > 0;
          },
          undefined,
          { timeout: 60_000 },
        );
      }
      await page.waitForTimeout(1500); // lists and live badges the page's scripts fill in
      const w = await shoot(page, `${out}/${name}.png`);
      console.log(
        `${name}: ${path} is ${w} px wide in a ${VIEWPORT.width} px viewport -> ${out}/${name}.png`,
      );
      await page.close();
    }
    for (const c of [adminCtx, samCtx, anonCtx]) await c.close();
  } finally {
    if (pub) await h.stopProc(pub);
    await browser.close();
    await lg.stop();
  }
}

if (import.meta.main) await main();

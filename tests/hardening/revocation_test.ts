// Access taken away ends everywhere, also for readers that never ask again: WebRTC (WHEP) sessions in
// Chromium, with real MediaMTX and ffmpeg. Nine viewers play one unlisted stream over WebRTC at once (five
// logged in and on its allow-list, four anonymous with share links, two of them made by admins who are then
// disabled or demoted: a link is only as valid as its creator's right to share); each revocation kind is
// applied to one of them and that viewer's inbound RTP bytes must stop within the bound while the others
// keep receiving.
// Also: WHEP session control (PATCH/DELETE) only by the credential that started the session, and a
// recording download in progress ends when its viewer's access goes.
import assert from "node:assert/strict";
import type { BrowserContext, Page } from "playwright-core";
import { launchChromium } from "../e2e/chromium.ts";
import { join } from "node:path";
import { ADMIN_PASSWORD, Client, publish, startLivegate, stopProc, waitFor } from "../e2e/harness.ts";
import { writeRecording } from "../e2e/synthetic_recording.ts";

/** The bound this test holds livegate to: a reader whose access is gone stops receiving within it (ms). */
const BOUND_MS = 5000;

interface Viewer {
  name: string;
  client: Client;
  ctx: BrowserContext;
  page: Page;
  location: string;
  share?: string;
}

/** Starts a WHEP session from the page (raw RTCPeerConnection, video only) with the client's cookies. */
async function startWhep(
  page: Page,
  url: string,
  csrf: string,
): Promise<{ status: number; location: string }> {
  return await page.evaluate(async ({ url, csrf }) => {
    const pc = new RTCPeerConnection();
    pc.addTransceiver("video", { direction: "recvonly" });
    await pc.setLocalDescription(await pc.createOffer());
    await new Promise<void>((resolve) => {
      if (pc.iceGatheringState === "complete") return resolve();
      const t = setTimeout(resolve, 3000);
      pc.addEventListener("icegatheringstatechange", () => {
        if (pc.iceGatheringState === "complete") {
          clearTimeout(t);
          resolve();
        }
      });
    });
    const r = await fetch(url, {
      method: "POST",
      headers: { "content-type": "application/sdp", "x-csrf-token": csrf },
      body: pc.localDescription!.sdp,
    });
    const text = await r.text();
    if (r.status !== 201) return { status: r.status, location: text };
    await pc.setRemoteDescription({ type: "answer", sdp: text });
    (globalThis as unknown as { pc: RTCPeerConnection }).pc = pc;
    return { status: 201, location: r.headers.get("location") ?? "" };
  }, { url, csrf });
}

/** Inbound RTP bytes of the page's WHEP session so far. */
function bytesOf(page: Page): Promise<number> {
  return page.evaluate(async () => {
    const pc = (globalThis as unknown as { pc: RTCPeerConnection }).pc;
    let b = 0;
    (await pc.getStats()).forEach((s) => {
      if (s.type === "inbound-rtp") b += (s as { bytesReceived?: number }).bytesReceived ?? 0;
    });
    return b;
  });
}

/** Waits until the bytes grow; returns the count. */
async function flowing(v: Viewer, what: string): Promise<number> {
  const a = await bytesOf(v.page);
  return await waitFor(`${v.name}: media flowing (${what})`, async () => {
    const b = await bytesOf(v.page);
    return b > a + 5000 ? b : undefined;
  }, 20_000);
}

/** ms from `t0` to the last growth of the viewer's bytes, once they stood still for 1.5 s (max 15 s). */
async function stopsAfter(v: Viewer, t0: number): Promise<number> {
  let last = await bytesOf(v.page), lastGrowth = Date.now();
  while (Date.now() - lastGrowth < 1500) {
    if (Date.now() - t0 > 15_000) return Infinity;
    await new Promise((r) => setTimeout(r, 200));
    const b = await bytesOf(v.page);
    if (b > last) {
      last = b;
      lastGrowth = Date.now();
    }
  }
  return lastGrowth - t0;
}

Deno.test({
  name:
    "hardening: every revocation ends a running WebRTC reader within the bound; only its owner controls a session",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn(t) {
    const lg = await startLivegate();
    const browser = await launchChromium();
    const procs: Deno.ChildProcess[] = [];
    const viewers: Viewer[] = [];
    try {
      const admin = new Client(lg.url);
      assert.equal((await admin.login("admin", ADMIN_PASSWORD)).status, 303);
      const names = ["logout", "revoked", "disabled", "deleted", "delisted"];
      const passwords: Record<string, string> = {};
      for (const n of names) {
        const r = await admin.api("POST", "/api/users", { name: n, role: "viewer" });
        assert.equal(r.status, 201, JSON.stringify(r.body));
        passwords[n] = r.body.password;
      }
      assert.equal(
        (await admin.api("PATCH", "/api/streams/live", { visibility: "unlisted", allow: names })).status,
        200,
      );
      const shares: string[] = [];
      for (let i = 0; i < 2; i++) {
        const r = await admin.api("POST", "/api/streams/live/shares", { hours: 1, label: `s${i}` });
        assert.equal(r.status, 201, JSON.stringify(r.body));
        shares.push(r.body.token);
      }
      // Links made by two other admins: each ends with its creator's right to share (issue 25, medium).
      const creatorShares: Record<string, string> = {};
      for (const n of ["sharer1", "sharer2"]) {
        const u = await admin.api("POST", "/api/users", { name: n, role: "admin" });
        assert.equal(u.status, 201, JSON.stringify(u.body));
        const c = new Client(lg.url);
        assert.equal((await c.login(n, u.body.password)).status, 303);
        const r = await c.api("POST", "/api/streams/live/shares", { hours: 1, label: n });
        assert.equal(r.status, 201, JSON.stringify(r.body));
        creatorShares[n] = r.body.token;
      }
      procs.push(publish(`rtmp://127.0.0.1:${lg.rtmpPort}/live?token=${lg.key}`, 300, { size: "320x180" }));
      await waitFor("stream live", async () => {
        const r = await admin.fetch("/api/streams/live/media");
        return (await r.json()).live ? true : undefined;
      }, 30_000);

      const open = async (name: string, share?: string): Promise<Viewer> => {
        const client = new Client(lg.url);
        if (share) await (await client.fetch("/login")).body?.cancel(); // the CSRF cookie
        else assert.equal((await client.login(name, passwords[name])).status, 303, name);
        const ctx = await browser.newContext();
        await ctx.addCookies([...client.cookies].map(([n, value]) => ({ name: n, value, url: lg.url })));
        const page = await ctx.newPage();
        await page.goto(`${lg.url}/health`);
        const url = share ? `/whep/live?share=${encodeURIComponent(share)}` : "/whep/live";
        const r = await startWhep(page, url, client.cookies.get("lg_csrf") ?? "");
        assert.equal(r.status, 201, `${name}: ${r.location}`);
        const v = { name, client, ctx, page, location: r.location, share };
        viewers.push(v);
        await flowing(v, "start");
        return v;
      };

      const v: Record<string, Viewer> = {};
      for (const n of names) v[n] = await open(n);
      v.shareRevoked = await open("shareRevoked", shares[0]);
      v.creatorDisabled = await open("creatorDisabled", creatorShares.sharer1);
      v.creatorDemoted = await open("creatorDemoted", creatorShares.sharer2);
      v.madePrivate = await open("madePrivate", shares[1]);

      await t.step(
        "session control: only the credential that started a session may change or end it",
        async () => {
          // Another logged-in viewer of the same stream, with its own valid CSRF token.
          const other = v.revoked.client;
          const target = v.logout.location;
          const patch = await other.fetch(target, {
            method: "PATCH",
            headers: {
              "content-type": "application/trickle-ice-sdpfrag",
              "x-csrf-token": other.cookies.get("lg_csrf") ?? "",
            },
            body: "a=ice-ufrag:abcd\r\na=ice-pwd:efghijklmnopqrstuvwxyz\r\n",
          });
          assert.equal(patch.status, 404, "someone else's session is unknown to them");
          await patch.body?.cancel();
          const del = await other.fetch(target, {
            method: "DELETE",
            headers: { "x-csrf-token": other.cookies.get("lg_csrf") ?? "" },
          });
          assert.equal(del.status, 404);
          await del.body?.cancel();
          // A share-link viewer cannot end a logged-in viewer's session either.
          const anon = v.shareRevoked.client;
          const del2 = await anon.fetch(`${target}?share=${encodeURIComponent(shares[0])}`, {
            method: "DELETE",
            headers: { "x-csrf-token": anon.cookies.get("lg_csrf") ?? "" },
          });
          assert.equal(del2.status, 404);
          await del2.body?.cancel();
          await flowing(v.logout, "after the foreign DELETE");
        },
      );

      const revocations: [string, () => Promise<void>][] = [
        ["logout", async () => {
          const r = await v.logout.client.fetch("/logout", {
            method: "POST",
            headers: { "content-type": "application/x-www-form-urlencoded" },
            body: `csrf=${v.logout.client.cookies.get("lg_csrf")}`,
          });
          assert.equal(r.status, 303);
        }],
        ["revoked", async () => {
          const s = await admin.api("GET", "/api/sessions?user=revoked");
          assert.equal(s.body.sessions.length, 1);
          assert.equal((await admin.api("DELETE", `/api/sessions/${s.body.sessions[0].id}`)).status, 200);
        }],
        ["disabled", async () => {
          assert.equal((await admin.api("PATCH", "/api/users/disabled", { disabled: true })).status, 200);
        }],
        ["deleted", async () => {
          assert.equal((await admin.api("DELETE", "/api/users/deleted")).status, 200);
        }],
        ["delisted", async () => {
          const allow = ["logout", "revoked", "disabled", "deleted:deleted"];
          assert.equal((await admin.api("PATCH", "/api/streams/live", { allow })).status, 200);
        }],
        ["shareRevoked", async () => {
          const list = await admin.api("GET", "/api/streams/live/shares");
          const id = shares[0].split(".")[0];
          assert.ok(list.body.shares.some((s: { id: string }) => s.id === id));
          assert.equal((await admin.api("DELETE", `/api/streams/live/shares/${id}`)).status, 200);
        }],
        ["creatorDisabled", async () => {
          assert.equal((await admin.api("PATCH", "/api/users/sharer1", { disabled: true })).status, 200);
        }],
        ["creatorDemoted", async () => {
          assert.equal((await admin.api("PATCH", "/api/users/sharer2", { role: "viewer" })).status, 200);
        }],
        ["madePrivate", async () => {
          assert.equal(
            (await admin.api("PATCH", "/api/streams/live", { visibility: "private" })).status,
            200,
          );
        }],
      ];
      const measured: Record<string, number> = {};
      for (const [name, revoke] of revocations) {
        await t.step(
          `${name}: the WebRTC reader stops within ${BOUND_MS} ms, the others play on`,
          async () => {
            const others = viewers.filter((x) => !(x.name in measured) && x.name !== name);
            const t0 = Date.now();
            await revoke();
            const ms = await stopsAfter(v[name], t0);
            measured[name] = ms;
            assert.ok(ms <= BOUND_MS, `${name}: bytes still arriving ${ms} ms after the revocation`);
            for (const o of others) await flowing(o, `after ${name}`);
            assert.ok(
              lg.logs.some((l) => /ended a WebRTC reader of 'live'/.test(l)),
              "livegate logs the end of the reader",
            );
          },
        );
      }
      console.log(`revocation -> WebRTC bytes stop after (ms): ${JSON.stringify(measured)}`);
    } finally {
      for (const x of viewers) await x.ctx.close().catch(() => {});
      await browser.close();
      for (const p of procs) await stopProc(p);
      await lg.stop();
    }
  },
});

Deno.test({
  name: "hardening: a recording download in progress ends when its viewer's access goes",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const lg = await startLivegate();
    const scratch = await Deno.makeTempDir({ prefix: "livegate-rev-rec-" });
    try {
      // One hour of 60 s segments (hard links of one file), ending 2 min ago.
      await writeRecording({
        recordDir: join(lg.dataDir, "recordings"),
        path: "live",
        start: new Date(Date.now() - 62 * 60_000),
        count: 60,
        segmentSeconds: 60,
        scratch,
      });
      const admin = new Client(lg.url);
      assert.equal((await admin.login("admin", ADMIN_PASSWORD)).status, 303);
      const made = await admin.api("POST", "/api/users", { name: "dora", role: "viewer" });
      const viewer = new Client(lg.url);
      assert.equal((await viewer.login("dora", made.body.password)).status, 303);
      const spans = await (await viewer.fetch("/api/recordings/live")).json();
      assert.equal(spans.spans.length, 1, JSON.stringify(spans));
      const q = new URLSearchParams({ start: spans.spans[0].start, duration: "3500", format: "fmp4" });
      const res = await viewer.fetch(`/recordings/live/media?${q}`);
      assert.equal(res.status, 200);
      // A slow reader until the revocation (the hour would take minutes), then as fast as it can, so what
      // sat in socket buffers does not count as still being sent.
      const reader = res.body!.getReader();
      let bytes = 0, revokedAt = 0, endedAt = 0, error = "";
      const reading = (async () => {
        try {
          for (;;) {
            const { done, value } = await reader.read();
            if (done) break;
            bytes += value.byteLength;
            if (!revokedAt) await new Promise((r) => setTimeout(r, 50));
          }
        } catch (e) {
          error = (e as Error).message;
        }
        endedAt = Date.now();
      })();
      await waitFor("download under way", () => Promise.resolve(bytes > 200_000 || undefined), 20_000);
      revokedAt = Date.now();
      assert.equal((await admin.api("PATCH", "/api/users/dora", { disabled: true })).status, 200);
      await Promise.race([reading, new Promise((r) => setTimeout(r, 15_000))]);
      assert.ok(endedAt > 0, `the download still runs 15 s after the account was disabled (${bytes} bytes)`);
      const ms = endedAt - revokedAt;
      console.log(
        `recording download ended ${ms} ms after the revocation (${bytes} bytes, ${error || "closed"})`,
      );
      assert.ok(ms <= BOUND_MS, `ended after ${ms} ms`);
      assert.ok(error, "the download was cut off, not completed");
      assert.ok(
        lg.logs.some((l) => /ended a recording download of 'live'/.test(l)),
        "livegate logs the end of the download",
      );
    } finally {
      await lg.stop();
      await Deno.remove(scratch, { recursive: true }).catch(() => {});
    }
  },
});

Deno.test({
  name: "hardening: the player says why when access ends, stops, and keeps no share token in the address bar",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const lg = await startLivegate();
    const browser = await launchChromium();
    const pub = publish(`rtmp://127.0.0.1:${lg.rtmpPort}/live?token=${lg.key}`, 120, { size: "320x180" });
    try {
      const admin = new Client(lg.url);
      assert.equal((await admin.login("admin", ADMIN_PASSWORD)).status, 303);
      const made = await admin.api("POST", "/api/users", { name: "vic", role: "viewer" });
      assert.equal(
        (await admin.api("PATCH", "/api/streams/live", { visibility: "unlisted", allow: ["vic"] })).status,
        200,
      );
      const share = await admin.api("POST", "/api/streams/live/shares", { hours: 1 });
      const token: string = share.body.token;
      await waitFor("stream live", async () => {
        const r = await admin.fetch("/api/streams/live/media");
        return (await r.json()).live ? true : undefined;
      }, 30_000);
      const state = (page: Page) =>
        page.evaluate(() => (globalThis as unknown as { livegate: { status: string } }).livegate.status);
      const overlay = (page: Page) =>
        page.evaluate(() => document.getElementById("overlay")?.textContent ?? "");

      // A share-link viewer (anonymous) and a logged-in viewer on the allow-list, both in the real player.
      const shareCtx = await browser.newContext();
      const sharePage = await shareCtx.newPage();
      const requests: number[] = [];
      sharePage.on("request", () => requests.push(Date.now()));
      await sharePage.goto(`${lg.url}/watch/live?share=${encodeURIComponent(token)}`);
      await waitFor(
        "share viewer live",
        async () => (await state(sharePage)) === "live" || undefined,
        30_000,
      );
      assert.equal(new URL(sharePage.url()).searchParams.has("share"), false, "no token in the address bar");

      const vic = new Client(lg.url);
      assert.equal((await vic.login("vic", made.body.password)).status, 303);
      const vicCtx = await browser.newContext();
      await vicCtx.addCookies([...vic.cookies].map(([name, value]) => ({ name, value, url: lg.url })));
      const vicPage = await vicCtx.newPage();
      await vicPage.goto(`${lg.url}/watch/live?mode=webrtc`);
      await waitFor("vic live on WebRTC", async () => (await state(vicPage)) === "live" || undefined, 30_000);

      // The link is revoked: the share viewer is told, and its player stops asking.
      const id = token.split(".")[0];
      assert.equal((await admin.api("DELETE", `/api/streams/live/shares/${id}`)).status, 200);
      await waitFor(
        "share viewer told",
        async () => (await state(sharePage)) === "ended" || undefined,
        15_000,
      );
      assert.match(await overlay(sharePage), /share link has been revoked or has expired/);
      const stoppedAt = Date.now();
      await new Promise((r) => setTimeout(r, 5000));
      const later = requests.filter((t) => t > stoppedAt + 500).length;
      assert.ok(later <= 1, `${later} requests after the player stopped`);

      // vic is taken off the allow-list: told on the WebRTC page, not sent to the login page.
      assert.equal((await admin.api("PATCH", "/api/streams/live", { allow: ["nobody-else"] })).status, 200);
      await waitFor("vic told", async () => (await state(vicPage)) === "ended" || undefined, 15_000);
      assert.match(await overlay(vicPage), /You may no longer watch this stream/);
      assert.match(vicPage.url(), /\/watch\/live/);
      await shareCtx.close();
      await vicCtx.close();
    } finally {
      await browser.close();
      await stopProc(pub);
      await lg.stop();
    }
  },
});

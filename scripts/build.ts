// Builds static/dist: the player bundle (hls.js included) with esbuild, plus the stylesheet.
import * as esbuild from "esbuild";
import { dirname, join } from "node:path";

const root = join(dirname(new URL(import.meta.url).pathname), "..");
const out = join(root, "static", "dist");
await Deno.mkdir(out, { recursive: true });
const result = await esbuild.build({
  entryPoints: [
    join(root, "static", "player.ts"),
    join(root, "static", "golive.ts"),
    join(root, "static", "home.ts"),
    join(root, "static", "admin.ts"),
    join(root, "static", "recording.ts"),
    join(root, "static", "rewind.ts"),
    join(root, "static", "clips.ts"),
    join(root, "static", "thumbs.ts"),
    join(root, "static", "restream.ts"),
    join(root, "static", "analytics.ts"), // uPlot and its CSS: analytics.js + analytics.css
    join(root, "static", "ladder-admin.ts"),
    join(root, "static", "sources.ts"),
    join(root, "static", "embed.ts"),
    join(root, "static", "controls.ts"),
    join(root, "static", "chat.ts"),
  ],
  bundle: true,
  minify: true,
  format: "esm",
  target: ["es2020"],
  outdir: out,
  sourcemap: "linked",
  logLevel: "warning",
});
// WebRTC's early start (time to first frame, #23): a classic script (IIFE), because the watch and embed
// pages inline it in their <head> (src/web/early-inline.ts), where it runs while the page is parsed.
const early = await esbuild.build({
  entryPoints: [join(root, "static", "whep-early.ts")],
  bundle: true,
  minify: true,
  format: "iife",
  target: ["es2020"],
  outdir: out,
  sourcemap: false,
  logLevel: "warning",
});
await Deno.copyFile(join(root, "static", "app.css"), join(out, "app.css"));
await Deno.copyFile(join(root, "static", "embed.css"), join(out, "embed.css"));
await Deno.copyFile(join(root, "static", "controls.css"), join(out, "controls.css"));
await esbuild.stop();
if (result.errors.length || early.errors.length) Deno.exit(1);
const size = (await Deno.stat(join(out, "player.js"))).size;
console.log(`built static/dist (player.js ${(size / 1024).toFixed(0)} KiB)`);

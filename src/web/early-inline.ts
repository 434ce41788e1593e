// WebRTC's early start (static/whep-early.ts, time to first frame: issue #23) inlined into the watch and
// embed pages. As a file (an async module) it ran only after the page's parsing, style and layout work and
// its deferred modules: 150-250 ms after navigation in Chromium, with the HTML there at 12-20 ms. Inline
// in <head>, before the stylesheet, it runs while the parser reaches it. The pages' Content-Security-Policy
// still forbids inline code: it allows this one script by its SHA-256 hash (CSP Level 2 'sha256-…').
import { createHash } from "node:crypto";
import type { Asset } from "./assets.ts";

/** The early-start script: its text and the CSP source that allows exactly it. */
export interface InlineScript {
  /** The script's source (static/dist/whep-early.js, an IIFE). */
  text: string;
  /** `'sha256-<base64>'` of the text's UTF-8 bytes, for script-src (CSP Level 2 §4.2.5). */
  csp: string;
}

/**
 * The early-start script from the built assets. Throws an Error when it is missing (run `deno task build`)
 * or could end its <script> element early (a `</script` in its text).
 */
export function earlyInline(assets: Map<string, Asset>): InlineScript {
  const a = assets.get("whep-early.js");
  if (!a) throw new Error("static/dist/whep-early.js missing: run 'deno task build'");
  const text = new TextDecoder().decode(a.body).trimEnd();
  if (/<\/script/i.test(text)) {
    throw new Error("static/dist/whep-early.js contains '</script': cannot inline");
  }
  const digest = createHash("sha256").update(new TextEncoder().encode(text)).digest("base64");
  return { text, csp: `'sha256-${digest}'` };
}

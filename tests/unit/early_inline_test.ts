// The inline early start (src/web/early-inline.ts): the CSP hash is the SHA-256 of exactly the text the pages
// inline, the watch and embed pages carry that text and a CSP allowing it, and a script that could close its
// <script> element early, or none at all, is refused at start.
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { earlyInline } from "../../src/web/early-inline.ts";
import { playerPage } from "../../src/web/pages.ts";
import { embedCsp, embedPage, playerCsp } from "../../src/web/embed-page.ts";
import type { Asset } from "../../src/web/assets.ts";

const asset = (text: string): Map<string, Asset> =>
  new Map([["whep-early.js", {
    body: new TextEncoder().encode(text),
    type: "text/javascript",
    etag: '"x"',
  }]]);

Deno.test("early inline: the CSP source is the SHA-256 of the inlined text", async () => {
  const text = '(()=>{performance.mark("livegate:early");let a="é";})();';
  const e = earlyInline(asset(text + "\n"));
  assert.equal(e.text, text, "trailing newline dropped, as inlined");
  const want = createHash("sha256").update(text, "utf8").digest("base64");
  assert.equal(e.csp, `'sha256-${want}'`);
  const page = String(await playerPage({ path: "live", user: "u", csrf: "c", early: e }));
  assert.match(
    page,
    /<script data-lg-early data-path="live" data-csrf="c"\s+data-later="\/static\/chat\.js"\s*>/,
    "chat is loaded by the early script, after the first frame",
  );
  assert.doesNotMatch(page, /<script type="module" src="\/static\/chat\.js">/);
  assert.ok(page.includes(`>${text}</script>`), "inlined verbatim");
  assert.ok(page.indexOf(text) < page.indexOf('href="/static/app.css"'), "before the stylesheet");
  assert.match(
    playerCsp(null, e),
    new RegExp(`script-src 'self' '${e.csp.slice(1, -1).replace(/[+/]/g, "\\$&")}'`),
  );
  const embed = String(await embedPage({ path: "live", title: "", csrf: "c", via: "public", early: e }));
  assert.ok(embed.includes(`>${text}</script>`));
  assert.ok(embedCsp(["https://a.example"], e).includes(`script-src 'self' ${e.csp}`));
  // Share links: the token goes in the tag's data, escaped, never into the script text.
  const shared = String(
    await embedPage({ path: "live", title: "", csrf: "c", via: "share", share: '"><b>', early: e }),
  );
  assert.ok(shared.includes('data-share="&quot;&gt;&lt;b&gt;"'), "share token escaped");
});

Deno.test("early inline: missing or unsafe to inline is an error at start", () => {
  assert.throws(() => earlyInline(new Map()), /whep-early\.js missing/);
  assert.throws(() => earlyInline(asset('let s="</script><script>alert(1)";')), /<\/script/);
  assert.throws(() => earlyInline(asset('let s="</SCRIPT >";')), /<\/script/);
});

// The floor for the viewer-scale benchmark (scale.ts): the smallest LL-HLS proxy Deno can be, run under
// the same viewer load as livegate so the two can be compared in one run. Deno.serve in front of MediaMTX's
// HLS server, with livegate's own sharing of upstream answers (src/proxy/hls-shared.ts: one upstream
// request per file, media files kept) and one template Response per answer cloned for each viewer (as
// HlsProxy does), but no login, sessions, access rules, metrics, security headers or anything else.
// What it costs is what Deno's HTTP server and fetch cost for this load; livegate's cost above it is its own.
//
//   BARE_CDN_SECRET=… deno run -A <V8 flags> bench/bare_proxy.ts <MediaMTX HLS base URL>
// Listens on a free loopback port and prints "listening <port>". GET /metrics gives V8's heap figures
// under livegate's metric names (memory.ts reads them).
import { type Entry, SharedFetch } from "../src/proxy/hls-shared.ts";

const base = Deno.args[0];
if (!base) throw new Error("usage: bare_proxy.ts <MediaMTX HLS base URL>");
const shared = new SharedFetch({ authorization: `Bearer ${Deno.env.get("BARE_CDN_SECRET") ?? ""}` });
const templates = new WeakMap<Entry, Response>();
const HLS_RE = /^https?:\/\/[^/]+\/hls\/([^/?]+)\/([^/?]+)(\?.*)?$/;

function answer(e: Entry): Response {
  let t = templates.get(e);
  if (!t) templates.set(e, t = new Response(e.body.byteLength ? e.body : null, e));
  return t.clone();
}

function metrics(): Response {
  const m = Deno.memoryUsage();
  return new Response(
    `livegate_nodejs_heap_size_total_bytes ${m.heapTotal}\nlivegate_nodejs_heap_size_used_bytes ${m.heapUsed}\n` +
      `livegate_nodejs_external_memory_bytes ${m.external}\n`,
  );
}

Deno.serve(
  { hostname: "127.0.0.1", port: 0, onListen: ({ port }) => console.log(`listening ${port}`) },
  (req) => {
    const m = HLS_RE.exec(req.url);
    if (!m) return req.url.endsWith("/metrics") ? metrics() : new Response("not found", { status: 404 });
    const url = `${base}/${m[1]}/${m[2]}${m[3] ?? ""}`;
    const kept = shared.peek(url);
    if (kept) return answer(kept);
    return shared.get(url, m[2]).then(answer, (e) => new Response(String(e), { status: 502 }));
  },
);

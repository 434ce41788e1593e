// The floor of any HLS front end written on Deno, for bench/workers.ts's peer row: a relay with no checks
// at all (no session, no access rule, no metrics, no playlist rewriting), only what livegate's HLS path
// must also do: one upstream request per distinct URL in flight (identical LL-HLS blocking requests of many
// viewers collapse into one), the answer kept 2 s, and the same bytes to every viewer who asked.
//
//   deno run -A --unstable-net bench/deno_relay.ts <port> <MediaMTX HLS base URL> <CDN bearer>
//
// Serves GET /hls/<path>/<file>?<query> from <base>/<path>/<file>?<query>; prints "listening" when ready.
// Several of these may share one port (SO_REUSEPORT: the kernel spreads the connections), as livegate's
// isolates do with LIVEGATE_WORKERS.
const [portArg, base, bearer] = Deno.args;

interface Kept {
  status: number;
  type: string;
  body: Uint8Array<ArrayBuffer>;
}
const inflight = new Map<string, Promise<Kept>>();

function upstream(key: string): Promise<Kept> {
  let p = inflight.get(key);
  if (p) return p;
  p = fetch(`${base}${key}`, { headers: { authorization: `Bearer ${bearer}` } }).then(async (r) => ({
    status: r.status,
    type: r.headers.get("content-type") ?? "application/octet-stream",
    body: new Uint8Array(await r.arrayBuffer()),
  }));
  inflight.set(key, p);
  p.catch(() => {}).finally(() => setTimeout(() => inflight.delete(key), 2000));
  return p;
}

Deno.serve(
  { port: Number(portArg), hostname: "127.0.0.1", reusePort: true, onListen: () => console.log("listening") },
  async (req) => {
    const u = new URL(req.url);
    if (req.method !== "GET" || !u.pathname.startsWith("/hls/")) {
      return new Response("not found", {
        status: 404,
      });
    }
    try {
      const k = await upstream(u.pathname.slice(4) + u.search);
      return new Response(k.body, { status: k.status, headers: { "content-type": k.type } });
    } catch {
      return new Response("upstream error", { status: 502 });
    }
  },
);

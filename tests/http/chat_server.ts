// The app served on a random loopback port (Deno.serve with the server's handler) for chat tests: a
// WebSocket needs a real connection, app.request cannot upgrade.
import { type Jar, testApp } from "./helpers.ts";
import { ChatClient } from "../chat_client.ts";

export async function serveApp() {
  const t = await testApp();
  const ac = new AbortController();
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, signal: ac.signal, onListen: () => {} },
    t.handler,
  );
  const port = (server.addr as Deno.NetAddr).port;
  const base = `http://localhost:${port}`;
  return {
    t,
    base,
    origin: base,
    ws: (path: string, jar?: Jar, opts: { origin?: string; since?: number } = {}) => {
      const cookie = jar ? [...jar.cookies].map(([k, v]) => `${k}=${v}`).join("; ") : undefined;
      const q = opts.since !== undefined ? `?since=${opts.since}` : "";
      return new ChatClient(`ws://localhost:${port}/chat/${path}${q}`, {
        cookie,
        origin: opts.origin ?? base,
      });
    },
    async close() {
      t.deps.chat.close();
      ac.abort();
      await server.finished;
      t.close();
    },
  };
}

// In-process app for HTTP tests: memory KV, a fixed admin, no MediaMTX (its state reads "stopped").
import { createApp } from "../../src/app/app.ts";
import { frontHandler } from "../../src/app/front.ts";
import { createServices } from "../../src/app/services.ts";
import { storeOf } from "../../src/store/kv.ts";
import { loadConfig } from "../../src/config/config.ts";
import { makeSecrets } from "../../src/mediamtx/secrets.ts";
import { addUser } from "../../src/store/users.ts";
import { SecretBox } from "../../src/core/secret-box.ts";
import type { Asset } from "../../src/web/assets.ts";

export const PASSWORD = "http-test-password";

export async function testApp(env: Record<string, string> = {}) {
  const kv = storeOf(await Deno.openKv(":memory:"));
  // Point MediaMTX's loopback ports at a closed port so upstream calls fail fast.
  const closed = () => {
    const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
    l.close();
    return String((l.addr as Deno.NetAddr).port);
  };
  const hls = closed();
  let api = closed();
  while (api === hls) api = closed(); // two closed ports must differ (the config refuses a shared port)
  const cfg = loadConfig({ LIVEGATE_MTX_HLS_PORT: hls, LIVEGATE_MTX_API_PORT: api, ...env });
  const secrets = await makeSecrets("http-test");
  await addUser(kv, "admin", PASSWORD, "admin");
  const assets = new Map<string, Asset>([
    ["player.js", { body: new TextEncoder().encode("//js"), type: "text/javascript", etag: '"x"' }],
    ["whep-early.js", {
      body: new TextEncoder().encode("(()=>{})();"),
      type: "text/javascript",
      etag: '"y"',
    }],
  ]);
  const deps = createServices({
    store: kv,
    cfg,
    secrets,
    mtxState: () => "stopped" as const,
    // A key of this app only: nothing written to a data dir.
    secretBox: () => SecretBox.fromRaw(crypto.getRandomValues(new Uint8Array(32))),
  });
  const app = createApp(deps, assets);
  // What Deno.serve runs in src/app/serve.ts: the hook and the HLS hot path in front of the app.
  const handler = frontHandler(deps, (req, info) => app.fetch(req, info));
  return {
    app,
    handler,
    kv,
    deps,
    cfg,
    secrets,
    close: () => {
      deps.close();
      kv.kv.close();
    },
  };
}

type App = Awaited<ReturnType<typeof testApp>>["app"];
type Handler = Awaited<ReturnType<typeof testApp>>["handler"];

/** A request through the server's handler (as Deno.serve calls it), from client address `ip`. */
export async function viaServer(
  handler: Handler,
  url: string,
  init: RequestInit,
  ip: string,
): Promise<Response> {
  const info = { remoteAddr: { hostname: ip, port: 40000, transport: "tcp" }, completed: Promise.resolve() };
  return await handler(new Request(url, init), info as Deno.ServeHandlerInfo);
}

/** Cookie jar over app.request. */
export class Jar {
  cookies = new Map<string, string>();
  /** Requests go to `app` in-process, or with `handler` through the server's handler (HLS hot path first). */
  constructor(readonly app: App, readonly ip = "203.0.113.7", readonly handler?: Handler) {}

  async req(path: string, init: RequestInit = {}): Promise<Response> {
    const headers = new Headers(init.headers);
    if (this.cookies.size) headers.set("cookie", [...this.cookies].map(([k, v]) => `${k}=${v}`).join("; "));
    const conn = { remoteAddr: { hostname: this.ip, port: 40000, transport: "tcp" } };
    const res = this.handler
      ? await viaServer(this.handler, `http://localhost${path}`, { ...init, headers }, this.ip)
      : await this.app.request(`http://localhost${path}`, { ...init, headers }, conn);
    for (const c of res.headers.getSetCookie()) {
      const [pair] = c.split(";");
      const i = pair.indexOf("=");
      if (/max-age=0/i.test(c) || pair.slice(i + 1) === "") this.cookies.delete(pair.slice(0, i));
      else this.cookies.set(pair.slice(0, i), pair.slice(i + 1));
    }
    return res;
  }

  async csrf(): Promise<string> {
    const html = await (await this.req("/login")).text();
    return /name="csrf" value="([^"]+)"/.exec(html)![1];
  }

  async login(user: string, password: string, opts: { csrf?: string; next?: string } = {}) {
    const csrf = opts.csrf ?? await this.csrf();
    return await this.req("/login", {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ csrf, user, password, next: opts.next ?? "/" }),
    });
  }

  /** POST /logout with this jar's CSRF token (or `csrf`). */
  async logout(csrf = this.cookies.get("lg_csrf") ?? "") {
    return await this.req("/logout", {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: `csrf=${csrf}`,
    });
  }
}

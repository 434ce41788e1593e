// A WebSocket accepted in the main isolate but held by a request-serving worker: the live chat keeps its
// rooms (message ids, order, history, send limits: src/chat/room.ts) in one isolate, so with
// LIVEGATE_WORKERS > 1 the chat's route runs in the main isolate on the forwarded handshake (forward.ts)
// and its frames travel over the request's MessagePort. tunnelUpgrade is the main isolate's
// `upgradeWebSocket` (Hono's helper shape, as hono/deno's); acceptTunnel is the worker's half, which
// upgrades the real connection. A chat message sent on one isolate reaches viewers on every isolate
// because every socket's room is the main isolate's.
//
//   worker -> main  {t:"open"} | {t:"msg", data} | {t:"buffered", n} | {t:"closed", code, reason}
//   main -> worker  {t:"send", data} | {t:"close", code, reason}
import { defineWebSocketHelper, WSContext } from "hono/ws";
import type { ForwardedInfo, TunnelHead } from "./forward.ts";

type FromWorker =
  | { t: "open" }
  | { t: "msg"; data: string | ArrayBuffer }
  | { t: "buffered"; n: number }
  | { t: "closed"; code: number; reason: string };
type FromMain = { t: "send"; data: string | ArrayBuffer | Uint8Array } | {
  t: "close";
  code?: number;
  reason?: string;
};

/** The socket the main isolate's chat hub holds: readyState and bufferedAmount as the worker reported. */
class TunnelSocket {
  readyState = 0;
  bufferedAmount = 0;
  constructor(readonly port: MessagePort) {}
  send(data: string | ArrayBuffer | Uint8Array): void {
    if (this.readyState === 1) this.port.postMessage({ t: "send", data } satisfies FromMain);
  }
  close(code?: number, reason?: string): void {
    if (this.readyState >= 2) return;
    this.readyState = 2;
    this.port.postMessage({ t: "close", code, reason } satisfies FromMain);
  }
}

/**
 * The main isolate's WebSocket upgrade for forwarded handshakes (same call shape as hono/deno's
 * upgradeWebSocket). Answers a placeholder 200 that answerForwarded (forward.ts) turns into the tunnel
 * head; the worker then upgrades the client's connection and `events.onOpen` runs when it is open.
 * Returns nothing (Hono's "not upgraded") for a request that did not come through a worker.
 */
export const tunnelUpgrade = defineWebSocketHelper<TunnelSocket, { idleTimeout?: number }>(
  (c, events, options) => {
    const info = c.env as ForwardedInfo | undefined;
    if (!info?.tunnel || c.req.header("upgrade")?.toLowerCase() !== "websocket") return;
    const port = info.tunnel;
    const raw = new TunnelSocket(port);
    const protocol = c.req.header("sec-websocket-protocol")?.split(",")[0]?.trim() || undefined;
    const ctx = new WSContext<TunnelSocket>({
      raw,
      send: (d) => raw.send(d as string),
      close: (code, reason) => raw.close(code, reason),
      get readyState() {
        return raw.readyState as 0 | 1 | 2 | 3;
      },
      url: new URL(c.req.url),
      protocol: protocol ?? null,
    });
    port.onmessage = (e: MessageEvent<FromWorker>) => {
      const m = e.data;
      if (m.t === "open") {
        raw.readyState = 1;
        events.onOpen?.(new Event("open"), ctx);
      } else if (m.t === "msg") {
        events.onMessage?.(new MessageEvent("message", { data: m.data }), ctx);
      } else if (m.t === "buffered") {
        raw.bufferedAmount = m.n;
      } else if (m.t === "closed") {
        raw.readyState = 3;
        port.close();
        events.onClose?.(new CloseEvent("close", { code: m.code, reason: m.reason }), ctx);
      }
    };
    info.tunnelHead = { idleTimeout: options?.idleTimeout, protocol };
    return new Response(null, { status: 200 });
  },
);

/**
 * The worker's half: upgrades `req` (the client's handshake) and joins its socket to `port`. Returns the
 * 101 response for Deno.serve. Throws (Deno.upgradeWebSocket's TypeError) on a handshake it cannot upgrade.
 */
export function acceptTunnel(req: Request, port: MessagePort, head: TunnelHead): Response {
  const { response, socket } = Deno.upgradeWebSocket(req, {
    ...(head.idleTimeout ? { idleTimeout: head.idleTimeout } : {}),
    ...(head.protocol ? { protocol: head.protocol } : {}),
  });
  let lastBuffered = 0;
  let recheck: ReturnType<typeof setTimeout> | undefined;
  // The hub reads bufferedAmount to find slow readers: report it after sends, and again as it drains.
  const report = () => {
    recheck = undefined;
    const n = socket.readyState === WebSocket.OPEN ? socket.bufferedAmount : 0;
    if (n !== lastBuffered) post({ t: "buffered", n: lastBuffered = n });
    if (n > 0) recheck = setTimeout(report, 250);
  };
  const post = (m: FromWorker) => {
    try {
      port.postMessage(m);
    } catch { /* port closed */ }
  };
  socket.onopen = () => post({ t: "open" });
  socket.onmessage = (e) => post({ t: "msg", data: e.data });
  socket.onclose = (e) => {
    clearTimeout(recheck);
    post({ t: "closed", code: e.code, reason: e.reason });
    port.close();
  };
  socket.onerror = () => {};
  port.onmessage = (e: MessageEvent<FromMain>) => {
    const m = e.data;
    if (socket.readyState !== WebSocket.OPEN) return;
    if (m.t === "send") {
      socket.send(m.data);
      if (!recheck) report();
    } else if (m.t === "close") socket.close(m.code, m.reason);
  };
  return response;
}

// Requests a request-serving isolate (a Worker, src/app/worker.ts) hands to the main isolate, over one
// MessagePort per request: the method, URL, headers and client address go over at once, the request body
// and the response body stream as chunks, each sent when the other side asks for it (so a slow viewer of a
// recording download holds back the main isolate's reads, and a gone client cancels them). A WebSocket the
// main isolate accepts (the live chat) continues on the same port as a tunnel (ws-tunnel.ts): the worker owns
// the socket, the main isolate owns the chat room.
//
//   worker -> main  {t:"req", method, url, headers, hasBody, remote}   (on the control port, with the port)
//   main -> worker  {t:"rpull"}            worker -> main  {t:"rchunk", data} | {t:"rend"}
//   main -> worker  {t:"head", status, headers, hasBody, tunnel?}
//   worker -> main  {t:"pull"}             main -> worker  {t:"chunk", data} | {t:"end"} | {t:"error"}
//   worker -> main  {t:"cancel"}           (the client went away: the main isolate's request is aborted)

/** The first message of a forwarded request (sent with its port on the worker's control channel). */
export interface ForwardedHead {
  t: "req";
  method: string;
  url: string;
  headers: [string, string][];
  hasBody: boolean;
  /** The client's address as the worker's connection saw it. */
  remote: { hostname: string; port: number };
}

/** Set on the response head when the main isolate accepted a WebSocket: the worker upgrades. */
export interface TunnelHead {
  /** Seconds without a frame after which the worker closes the socket (Deno.upgradeWebSocket idleTimeout). */
  idleTimeout?: number;
  protocol?: string;
}

type Msg =
  | { t: "rpull" }
  | { t: "rchunk"; data: Uint8Array }
  | { t: "rend" }
  | {
    t: "head";
    status: number;
    statusText: string;
    headers: [string, string][];
    hasBody: boolean;
    tunnel?: TunnelHead;
  }
  | { t: "pull" }
  | { t: "chunk"; data: Uint8Array }
  | { t: "end" }
  | { t: "error"; message: string }
  | { t: "cancel" };

/** Statuses whose responses have no body (the Response constructor refuses one). */
const NULL_BODY = new Set([101, 103, 204, 205, 304]);

/**
 * Worker side: sends `req` to the main isolate through `control` and resolves with its answer. The body of
 * the answer streams from the main isolate as the client reads it. `onTunnel` is called instead when the
 * main isolate accepted a WebSocket (the response head carries `tunnel`): it gets the port and returns the
 * response to send (Deno.upgradeWebSocket's 101). Rejects when the main isolate does not answer the head
 * within `headMs` (ms; a stuck main isolate answers 503 instead of hanging the client).
 */
export function forwardToMain(
  control: { postMessage(m: unknown, transfer: Transferable[]): void },
  req: Request,
  remote: { hostname: string; port: number },
  onTunnel: (port: MessagePort, head: TunnelHead) => Response,
  headMs = 120_000,
): Promise<Response> {
  const { port1, port2 } = new MessageChannel();
  const head: ForwardedHead = {
    t: "req",
    method: req.method,
    url: req.url,
    headers: [...req.headers],
    hasBody: req.body !== null,
    remote,
  };
  const reqReader = req.body?.getReader();
  let answered = false;
  /** The exchange is over (body ended, failed or cancelled; or the port became a tunnel). */
  let ended = false;
  return new Promise<Response>((resolve, reject) => {
    const timer = setTimeout(() => {
      if (answered) return;
      answered = true;
      port1.close();
      reqReader?.cancel().catch(() => {});
      reject(new Error(`the main isolate did not answer ${req.method} ${new URL(req.url).pathname} in time`));
    }, headMs);
    let pullWaiter: ((m: Msg) => void) | null = null;
    port1.onmessage = async (e: MessageEvent<Msg>) => {
      const m = e.data;
      if (m.t === "rpull") {
        try {
          const r = await reqReader!.read();
          if (r.done) port1.postMessage({ t: "rend" });
          else {
            const data = r.value.slice(); // its own buffer: the chunk may be a view on a shared one
            port1.postMessage({ t: "rchunk", data }, [data.buffer]);
          }
        } catch {
          port1.postMessage({ t: "rend" });
        }
        return;
      }
      if (m.t === "head") {
        clearTimeout(timer);
        if (answered) return;
        answered = true;
        if (m.tunnel) {
          ended = true;
          port1.onmessage = null;
          try {
            resolve(onTunnel(port1, m.tunnel));
          } catch (err) {
            port1.postMessage({ t: "closed", code: 1006, reason: "" });
            port1.close();
            reject(err);
          }
          return;
        }
        const headers = new Headers(m.headers);
        if (!m.hasBody || NULL_BODY.has(m.status) || req.method === "HEAD") {
          ended = true;
          if (m.hasBody) port1.postMessage({ t: "cancel" });
          port1.close();
          resolve(
            new Response(NULL_BODY.has(m.status) ? null : m.hasBody ? emptyStream() : null, {
              status: m.status,
              statusText: m.statusText,
              headers,
            }),
          );
          return;
        }
        const body = new ReadableStream<Uint8Array>({
          pull: (ctl) =>
            new Promise<void>((done) => {
              pullWaiter = (r) => {
                pullWaiter = null;
                try { // (the client may have cancelled meanwhile: the controller is closed then)
                  if (r.t === "chunk") ctl.enqueue(r.data);
                  else if (r.t === "end") ctl.close();
                  else ctl.error(new Error(r.t === "error" ? r.message : "forwarded answer ended"));
                } catch { /* cancelled */ }
                if (r.t !== "chunk") {
                  ended = true;
                  port1.close();
                }
                done();
              };
              port1.postMessage({ t: "pull" });
            }),
          cancel: () => {
            pullWaiter = null;
            if (ended) return;
            ended = true;
            port1.postMessage({ t: "cancel" });
            port1.close();
          },
        }, { highWaterMark: 0 });
        resolve(new Response(body, { status: m.status, statusText: m.statusText, headers }));
        return;
      }
      if (m.t === "chunk" || m.t === "end" || m.t === "error") pullWaiter?.(m);
    };
    req.signal.addEventListener("abort", () => {
      if (answered && !ended) {
        // The client went away while the answer streams (it may have stopped reading long before, so no
        // write fails soon): the main isolate stops at once, as the route would on its request's signal.
        ended = true;
        port1.postMessage({ t: "cancel" });
        port1.close();
        return;
      }
      if (!answered) {
        answered = true;
        clearTimeout(timer);
        port1.postMessage({ t: "cancel" });
        port1.close();
        reqReader?.cancel().catch(() => {});
        reject(new DOMException("the client went away", "AbortError"));
      }
    });
    control.postMessage(head, [port2]);
  });
}

const emptyStream = () => new ReadableStream<Uint8Array>({ start: (c) => c.close() });

/** What the main isolate's handler gets as Deno.ServeHandlerInfo, plus the port for a WebSocket tunnel. */
export interface ForwardedInfo extends Deno.ServeHandlerInfo<Deno.NetAddr> {
  /** The request's port: the chat's WebSocket continues on it (ws-tunnel.ts). */
  tunnel: MessagePort;
  /** Set by the tunnel upgrader when it accepted a WebSocket (the head then says so). */
  tunnelHead?: TunnelHead;
}

/**
 * Main side: answers one forwarded request (`head` and its `port`) with `handler`, the same handler the
 * port would run when the main isolate serves it itself (src/app/front.ts). Never throws: a failing
 * handler answers 500 as Deno.serve would.
 */
export async function answerForwarded(
  head: ForwardedHead,
  port: MessagePort,
  handler: (req: Request, info: ForwardedInfo) => Response | Promise<Response>,
): Promise<void> {
  const ac = new AbortController();
  let finish!: () => void;
  const completed = new Promise<void>((r) => finish = r);
  let rWaiter: ((m: Msg) => void) | null = null;
  const answer: { reader?: ReadableStreamDefaultReader<Uint8Array> } = {};
  port.onmessage = async (e: MessageEvent<Msg>) => {
    const m = e.data;
    if (m.t === "rchunk" || m.t === "rend") {
      rWaiter?.(m);
      return;
    }
    if (m.t === "cancel") {
      ac.abort();
      answer.reader?.cancel().catch(() => {});
      rWaiter?.({ t: "rend" });
      port.close();
      finish();
      return;
    }
    const reader = answer.reader;
    if (m.t === "pull" && reader) {
      try {
        const r = await reader.read();
        if (r.done) {
          port.postMessage({ t: "end" });
          port.close();
          finish();
        } else {
          // A copy: the chunk may be a view on a buffer the sender keeps (a kept HLS part, cloned per viewer).
          const data = r.value.slice();
          port.postMessage({ t: "chunk", data }, [data.buffer]);
        }
      } catch (err) {
        port.postMessage({ t: "error", message: (err as Error).message });
        port.close();
        finish();
      }
    }
  };
  const body = head.hasBody && head.method !== "GET" && head.method !== "HEAD"
    ? new ReadableStream<Uint8Array>({
      pull: (ctl) =>
        new Promise<void>((done) => {
          rWaiter = (r) => {
            rWaiter = null;
            try {
              if (r.t === "rchunk") ctl.enqueue(r.data);
              else ctl.close();
            } catch { /* the handler cancelled the body */ }
            done();
          };
          port.postMessage({ t: "rpull" });
        }),
    }, { highWaterMark: 0 })
    : null;
  const req = new Request(head.url, {
    method: head.method,
    headers: head.headers,
    body,
    signal: ac.signal,
  });
  const info: ForwardedInfo = {
    remoteAddr: { transport: "tcp", hostname: head.remote.hostname, port: head.remote.port },
    completed,
    tunnel: port,
  };
  let res: Response;
  try {
    res = await handler(req, info);
  } catch (err) {
    console.error(`[livegate] forwarded ${head.method} failed: ${(err as Error).message}`);
    res = new Response("Internal Server Error", { status: 500 });
  }
  if (info.tunnelHead) {
    port.postMessage({
      t: "head",
      status: 101,
      statusText: "",
      headers: [],
      hasBody: false,
      tunnel: info.tunnelHead,
    });
    return; // the port is the tunnel's now
  }
  const hasBody = res.body !== null;
  port.postMessage({
    t: "head",
    status: res.status,
    statusText: res.statusText,
    headers: [...res.headers],
    hasBody,
  });
  if (!hasBody) {
    port.close();
    finish();
    return;
  }
  answer.reader = res.body!.getReader();
}

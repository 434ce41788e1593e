// A chat WebSocket client for tests and the benchmark: Deno's WebSocket with the session cookie and an
// Origin (Deno accepts { headers } as a second argument), collecting the server's frames.
export type Frame = Record<string, unknown> & { type: string };

export class ChatClient {
  readonly frames: Frame[] = [];
  readonly ws: WebSocket;
  readonly opened: Promise<void>;
  readonly closedP: Promise<{ code: number; reason: string }>;
  #waiters: (() => void)[] = [];
  onFrame?: (f: Frame) => void;

  constructor(url: string, opts: { cookie?: string; origin?: string } = {}) {
    const headers: Record<string, string> = {};
    if (opts.cookie) headers.cookie = opts.cookie;
    if (opts.origin) headers.origin = opts.origin;
    // deno-lint-ignore no-explicit-any
    this.ws = new (WebSocket as any)(url, { headers });
    this.opened = new Promise((res, rej) => {
      this.ws.onopen = () => res();
      this.ws.onerror = () => rej(new Error(`WebSocket ${url} failed`));
    });
    this.opened.catch(() => {});
    this.closedP = new Promise((res) => {
      this.ws.addEventListener("close", (e) => {
        res({ code: e.code, reason: e.reason });
        this.#wake();
      });
    });
    this.ws.onmessage = (e) => {
      const f = JSON.parse(e.data as string) as Frame;
      // A batch is its frames, in order.
      for (const x of f.type === "batch" ? f.frames as Frame[] : [f]) {
        this.frames.push(x);
        this.onFrame?.(x);
      }
      this.#wake();
    };
  }

  #wake() {
    for (const w of this.#waiters.splice(0)) w();
  }

  send(frame: unknown): void {
    this.ws.send(typeof frame === "string" || frame instanceof Uint8Array ? frame : JSON.stringify(frame));
  }

  /** The first frame (from index `from`) matching `pred`; rejects after `ms` or when the socket closes. */
  async next(pred: (f: Frame) => boolean, ms = 10_000, from = 0): Promise<Frame> {
    const end = Date.now() + ms;
    let i = from;
    while (true) {
      for (; i < this.frames.length; i++) if (pred(this.frames[i])) return this.frames[i];
      if (this.ws.readyState >= 2) {
        throw new Error(`socket closed while waiting; frames: ${JSON.stringify(this.frames)}`);
      }
      const left = end - Date.now();
      if (left <= 0) throw new Error(`timed out waiting for a frame; got ${JSON.stringify(this.frames)}`);
      await new Promise<void>((r) => {
        const t = setTimeout(r, left);
        this.#waiters.push(() => {
          clearTimeout(t);
          r();
        });
      });
    }
  }

  /** Messages seen (history and live), minus deleted ones, in id order. */
  messages(): Frame[] {
    const byId = new Map<number, Frame>();
    for (const f of this.frames) {
      if (f.type === "history") {
        for (const m of f.messages as Frame[]) byId.set(m.id as number, m);
        for (const id of f.deleted as number[]) byId.delete(id);
      }
      if (f.type === "message") byId.set(f.id as number, f);
      if (f.type === "delete") byId.delete(f.id as number);
      if (f.type === "clear") {
        for (const id of [...byId.keys()]) if (id <= (f.through as number)) byId.delete(id);
      }
    }
    return [...byId.values()].sort((a, b) => (a.id as number) - (b.id as number));
  }

  close(): Promise<{ code: number; reason: string }> {
    try {
      this.ws.close();
    } catch { /* closed */ }
    return this.closedP;
  }
}

// A minimal HTTP/1.1 keep-alive client for load generators (bench/viewers.ts): one `Http1Connection` is
// one TCP connection (plain, no TLS) that issues GET requests one at a time, like a browser reusing a
// keep-alive connection. It exists because `fetch` with an `AbortSignal` per request costs the generator
// more CPU than the server it measures.
//
// - Status line and headers are parsed by hand; bodies by `content-length`, `transfer-encoding: chunked`,
//   or (neither) until the server closes. 1xx answers are skipped; 204/304 have no body.
// - The connection is opened on first use and again after the server closed it (`connection: close`,
//   HTTP/1.0 without keep-alive, or EOF). A request that finds a reused connection already closed by the
//   server (no byte of the answer received) is retried once on a new connection, as browsers do.
// - Timeouts: one module-wide interval checks the deadline of every open connection's request (no timer
//   or AbortSignal per request); an expired request closes its connection and fails with kind "timeout".
// - One read buffer per connection, reused; a body of known length is read straight into its own array
//   (or, with `reuseBody`, into one reused array per connection).
// - Failures are `Http1Error`s with `kind` "timeout", "network" (connect/read/write failed, closed
//   mid-answer) or "protocol" (malformed answer).

export type Http1ErrorKind = "timeout" | "network" | "protocol";

export class Http1Error extends Error {
  constructor(readonly kind: Http1ErrorKind, message: string, options?: ErrorOptions) {
    super(`${kind}: ${message}`, options);
    this.name = "Http1Error";
  }
}

export interface Http1Response {
  status: number;
  body: Uint8Array;
}

export interface Http1Options {
  /** Per-request timeout (connect, send, whole answer) when `get` is given none. Default 10 s. */
  timeoutMs?: number;
  /** Initial read buffer size (grows for a larger header block, up to 64 KiB). Default 8 KiB. */
  bufferSize?: number;
  /**
   * Return `content-length` bodies as views into one buffer per connection, overwritten by the next
   * request (saves an allocation per request for callers that only look at a body before asking again).
   */
  reuseBody?: boolean;
}

const TICK_MS = 50;
const MAX_HEAD = 64 * 1024;
const EMPTY = new Uint8Array(0);
const enc = new TextEncoder();
const latin1 = new TextDecoder("latin1");

// The one timer: runs while any connection is open.
const open = new Set<Http1Connection>();
let ticker: ReturnType<typeof setInterval> | undefined;

function watch(c: Http1Connection) {
  open.add(c);
  if (ticker === undefined) {
    const t = setInterval(() => {
      const now = performance.now();
      for (const c of open) if (c.deadline !== 0 && now > c.deadline) c.expire();
    }, TICK_MS);
    Deno.unrefTimer(t);
    ticker = t;
  }
}

function unwatch(c: Http1Connection) {
  open.delete(c);
  if (open.size === 0 && ticker !== undefined) {
    clearInterval(ticker);
    ticker = undefined;
  }
}

/** Thrown internally when the server closed before sending any byte of the answer. */
class ClosedBeforeAnswer extends Error {}

export class Http1Connection {
  /** performance.now() deadline of the request in flight, 0 when idle (read by the module's timer). */
  deadline = 0;
  /** TCP connections opened so far (1 + reconnects). */
  connects = 0;
  /** Requests answered on this object. */
  requests = 0;

  readonly #hostname: string;
  readonly #port: number;
  readonly #timeoutMs: number;
  readonly #host: string;
  #conn: Deno.TcpConn | null = null;
  #buf: Uint8Array;
  #start = 0; // unread bytes are #buf[#start, #end)
  #end = 0;
  #wbuf = new Uint8Array(1024);
  readonly #reuseBody: boolean;
  #bodyBuf = EMPTY;
  #busy = false;
  #timedOut = false;
  #closedInFlight = false; // close() was called during the request
  #answerBytes = 0; // bytes of the current answer received (to tell a stale connection from a failure)
  #lastHeaders: Record<string, string> | undefined;
  #headerText = "";

  constructor(hostname: string, port: number, opts: Http1Options = {}) {
    this.#hostname = hostname;
    this.#port = port;
    this.#timeoutMs = opts.timeoutMs ?? 10_000;
    this.#buf = new Uint8Array(opts.bufferSize ?? 8192);
    this.#reuseBody = opts.reuseBody ?? false;
    this.#host = hostname.includes(":") ? `[${hostname}]:${port}` : `${hostname}:${port}`;
  }

  /** Whether a TCP connection is currently open. */
  get connected(): boolean {
    return this.#conn !== null;
  }

  /**
   * GET `target` (path and query). Rejects with an Http1Error; any status (also 4xx/5xx) resolves.
   * `headers` are rendered once per object: pass a new object to change them, not a mutated one.
   */
  async get(target: string, headers?: Record<string, string>, timeoutMs?: number): Promise<Http1Response> {
    if (this.#busy) throw new Error("Http1Connection: one request at a time");
    this.#busy = true;
    this.#timedOut = false;
    this.#closedInFlight = false;
    this.deadline = performance.now() + (timeoutMs ?? this.#timeoutMs);
    try {
      const req = this.#encode(target, headers);
      for (let attempt = 0;; attempt++) {
        const reused = this.#conn !== null;
        this.#answerBytes = 0;
        try {
          if (!this.#conn) await this.#connect();
          await this.#writeAll(req);
          const res = await this.#readAnswer();
          this.requests++;
          return res;
        } catch (e) {
          this.#drop();
          if (this.#timedOut) {
            throw new Http1Error("timeout", `GET ${target}: no complete answer in time`, { cause: e });
          }
          if (e instanceof Http1Error) throw e;
          if (this.#closedInFlight) throw new Http1Error("network", `GET ${target}: closed by the caller`);
          // The server closed an idle keep-alive connection before we noticed: retry once, fresh.
          if (reused && attempt === 0 && this.#answerBytes === 0) continue;
          if (e instanceof ClosedBeforeAnswer) {
            throw new Http1Error("network", `GET ${target}: connection closed before the answer`);
          }
          throw new Http1Error("network", `GET ${target}: ${(e as Error).message}`, { cause: e });
        }
      }
    } finally {
      this.deadline = 0;
      this.#busy = false;
    }
  }

  /** Closes the TCP connection (a later `get` opens a new one). Fails a request in flight ("network"). */
  close(): void {
    if (this.#busy) this.#closedInFlight = true;
    this.#drop();
  }

  /** Called by the module timer when the request in flight is past its deadline. */
  expire(): void {
    this.#timedOut = true;
    this.#drop();
  }

  #drop() {
    const c = this.#conn;
    if (!c) return;
    this.#conn = null;
    this.#start = this.#end = 0;
    unwatch(this);
    try {
      c.close();
    } catch { /* already closed */ }
  }

  async #connect() {
    const c = await Deno.connect({ hostname: this.#hostname, port: this.#port });
    if (this.#closedInFlight) {
      c.close();
      throw new Error("closed by the caller");
    }
    if (this.deadline !== 0 && performance.now() > this.deadline) {
      c.close();
      this.#timedOut = true;
      throw new Error("connect took too long");
    }
    c.setNoDelay(true);
    this.#conn = c;
    this.connects++;
    watch(this);
  }

  #encode(target: string, headers?: Record<string, string>): Uint8Array {
    if (headers !== this.#lastHeaders) {
      let h = "";
      if (headers) { for (const k in headers) h += `${k}: ${headers[k]}\r\n`; }
      this.#headerText = h;
      this.#lastHeaders = headers;
    }
    const s = `GET ${target} HTTP/1.1\r\nhost: ${this.#host}\r\n${this.#headerText}\r\n`;
    const r = enc.encodeInto(s, this.#wbuf);
    if (r.read < s.length) {
      this.#wbuf = enc.encode(s);
      return this.#wbuf;
    }
    return this.#wbuf.subarray(0, r.written);
  }

  async #writeAll(b: Uint8Array) {
    let off = 0;
    while (off < b.length) {
      const c = this.#conn;
      if (!c) throw new Error("connection closed");
      off += await c.write(off ? b.subarray(off) : b);
    }
  }

  /** Reads more bytes into the buffer after #end (making room first). False on EOF. */
  async #fill(): Promise<boolean> {
    if (this.#start === this.#end) this.#start = this.#end = 0;
    if (this.#end === this.#buf.length) {
      if (this.#start > 0) {
        this.#buf.copyWithin(0, this.#start, this.#end);
        this.#end -= this.#start;
        this.#start = 0;
      } else {
        if (this.#buf.length >= MAX_HEAD) throw new Http1Error("protocol", "header block or line too long");
        const b = new Uint8Array(Math.min(MAX_HEAD, this.#buf.length * 2));
        b.set(this.#buf.subarray(0, this.#end));
        this.#buf = b;
      }
    }
    const c = this.#conn;
    if (!c) throw new Error("connection closed");
    const n = await c.read(this.#buf.subarray(this.#end));
    if (n === null) return false;
    this.#end += n;
    this.#answerBytes += n;
    return true;
  }

  /** Reads into `dst` directly (the buffer is empty). False on EOF. */
  async #readInto(dst: Uint8Array): Promise<number | null> {
    const c = this.#conn;
    if (!c) throw new Error("connection closed");
    const n = await c.read(dst);
    if (n !== null) this.#answerBytes += n;
    return n;
  }

  /** Index just after the next CRLF at or after #start, reading more as needed. */
  async #line(): Promise<number> {
    let from = this.#start;
    for (;;) {
      const b = this.#buf;
      for (let i = from; i + 1 < this.#end; i++) {
        if (b[i] === 13 && b[i + 1] === 10) return i + 2;
      }
      from = Math.max(this.#start, this.#end - 1);
      const before = this.#start;
      if (!await this.#fill()) throw this.#eof("in a chunk header");
      from -= before - this.#start; // the buffer may have been compacted
    }
  }

  #eof(where: string): Error {
    return this.#answerBytes === 0
      ? new ClosedBeforeAnswer()
      : new Http1Error("network", `connection closed ${where}`);
  }

  async #readAnswer(): Promise<Http1Response> {
    for (;;) {
      // Header block: up to CRLF CRLF.
      let from = this.#start;
      let headEnd = -1;
      for (;;) {
        const b = this.#buf;
        for (let i = from; i + 3 < this.#end; i++) {
          if (b[i] === 13 && b[i + 1] === 10 && b[i + 2] === 13 && b[i + 3] === 10) {
            headEnd = i;
            break;
          }
        }
        if (headEnd >= 0) break;
        from = Math.max(this.#start, this.#end - 3);
        const before = this.#start;
        if (!await this.#fill()) throw this.#eof("in the header block");
        from -= before - this.#start;
      }
      const head = latin1.decode(this.#buf.subarray(this.#start, headEnd));
      this.#start = headEnd + 4;

      if (!head.startsWith("HTTP/1.") || head.charCodeAt(8) !== 32) {
        throw new Http1Error("protocol", `bad status line: ${JSON.stringify(head.slice(0, 40))}`);
      }
      const status = Number(head.slice(9, 12));
      if (
        !Number.isInteger(status) || status < 100 || status > 999 || (head.length > 12 && head[12] !== " ")
      ) {
        throw new Http1Error("protocol", `bad status line: ${JSON.stringify(head.slice(0, 40))}`);
      }
      let keepAlive = head[7] === "1"; // HTTP/1.1 default
      let length = -1;
      let chunked = false;
      let pos = head.indexOf("\r\n");
      while (pos >= 0) {
        const next = head.indexOf("\r\n", pos + 2);
        const line = head.slice(pos + 2, next < 0 ? head.length : next);
        pos = next;
        const colon = line.indexOf(":");
        if (colon <= 0) {
          throw new Http1Error("protocol", `bad header line: ${JSON.stringify(line.slice(0, 40))}`);
        }
        const name = line.slice(0, colon).toLowerCase();
        if (name === "content-length") {
          const v = line.slice(colon + 1).trim();
          const n = /^\d+$/.test(v) ? Number(v) : NaN;
          if (!Number.isSafeInteger(n) || (length >= 0 && n !== length)) {
            throw new Http1Error("protocol", `bad content-length: ${JSON.stringify(v)}`);
          }
          length = n;
        } else if (name === "transfer-encoding") {
          const v = line.slice(colon + 1).trim().toLowerCase();
          chunked = v === "chunked" || v.endsWith(",chunked") || v.endsWith(", chunked");
          if (!chunked) throw new Http1Error("protocol", `unsupported transfer-encoding: ${v}`);
        } else if (name === "connection") {
          const v = line.slice(colon + 1).toLowerCase();
          if (v.includes("close")) keepAlive = false;
          else if (v.includes("keep-alive")) keepAlive = true;
        }
      }
      if (status < 200) continue; // 1xx: the real answer follows

      let body: Uint8Array;
      if (status === 204 || status === 304) body = EMPTY;
      else if (chunked) body = await this.#chunked();
      else if (length >= 0) body = await this.#fixed(length);
      else {
        body = await this.#untilEof();
        keepAlive = false;
      }
      if (!keepAlive) this.#drop();
      return { status, body };
    }
  }

  async #fixed(len: number): Promise<Uint8Array> {
    if (len === 0) return EMPTY;
    let body: Uint8Array;
    if (this.#reuseBody) {
      if (this.#bodyBuf.length < len) {
        let n = Math.max(4096, this.#bodyBuf.length);
        while (n < len) n *= 2;
        this.#bodyBuf = new Uint8Array(n);
      }
      body = this.#bodyBuf.subarray(0, len);
    } else body = new Uint8Array(len);
    let got = Math.min(len, this.#end - this.#start);
    body.set(this.#buf.subarray(this.#start, this.#start + got));
    this.#start += got;
    while (got < len) {
      const n = await this.#readInto(body.subarray(got));
      if (n === null) throw new Http1Error("network", `connection closed after ${got} of ${len} body bytes`);
      got += n;
    }
    return body;
  }

  async #chunked(): Promise<Uint8Array> {
    let out = EMPTY;
    let len = 0;
    for (;;) {
      const lineEnd = await this.#line();
      const line = latin1.decode(this.#buf.subarray(this.#start, lineEnd - 2));
      this.#start = lineEnd;
      const semi = line.indexOf(";");
      const hex = (semi < 0 ? line : line.slice(0, semi)).trim();
      if (!/^[0-9a-fA-F]{1,8}$/.test(hex)) {
        throw new Http1Error("protocol", `bad chunk size: ${JSON.stringify(line.slice(0, 40))}`);
      }
      const size = parseInt(hex, 16);
      if (size === 0) {
        // Trailer fields, up to an empty line.
        for (;;) {
          const end = await this.#line();
          const empty = end - this.#start === 2;
          this.#start = end;
          if (empty) return len === out.length ? out : out.subarray(0, len);
        }
      }
      if (len + size > out.length) {
        const grown = new Uint8Array(Math.max(len + size, out.length * 2));
        grown.set(out.subarray(0, len));
        out = grown;
      }
      let got = Math.min(size, this.#end - this.#start);
      out.set(this.#buf.subarray(this.#start, this.#start + got), len);
      this.#start += got;
      while (got < size) {
        const n = await this.#readInto(out.subarray(len + got, len + size));
        if (n === null) throw new Http1Error("network", "connection closed in a chunk");
        got += n;
      }
      len += size;
      // CRLF after the chunk data.
      while (this.#end - this.#start < 2) {
        if (!await this.#fill()) throw new Http1Error("network", "connection closed after a chunk");
      }
      if (this.#buf[this.#start] !== 13 || this.#buf[this.#start + 1] !== 10) {
        throw new Http1Error("protocol", "chunk data not followed by CRLF");
      }
      this.#start += 2;
    }
  }

  async #untilEof(): Promise<Uint8Array> {
    let out = new Uint8Array(Math.max(4096, this.#end - this.#start));
    let len = this.#end - this.#start;
    out.set(this.#buf.subarray(this.#start, this.#end));
    this.#start = this.#end = 0;
    for (;;) {
      if (len === out.length) {
        const grown = new Uint8Array(out.length * 2);
        grown.set(out);
        out = grown;
      }
      const n = await this.#readInto(out.subarray(len));
      if (n === null) return out.subarray(0, len);
      len += n;
    }
  }
}

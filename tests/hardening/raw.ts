// Raw HTTP/1.1 over TCP: sends bytes exactly as given (fetch() would normalise paths, refuse control
// characters and cap headers), returns the status line, headers and body, or null when the server closed
// the connection without answering.
export interface RawResponse {
  status: number;
  head: string;
  body: string;
}

export async function rawRequest(
  port: number,
  bytes: Uint8Array | string,
  timeoutMs = 3000,
): Promise<RawResponse | null> {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  const data = typeof bytes === "string" ? new TextEncoder().encode(bytes) : bytes;
  const timer = setTimeout(() => conn.close(), timeoutMs);
  const chunks: Uint8Array[] = [];
  try {
    // The server may answer (and close) before it read everything: a failed write is not an error here.
    await (async () => {
      let off = 0;
      while (off < data.length) off += await conn.write(data.subarray(off));
    })().catch(() => {});
    const buf = new Uint8Array(65536);
    for (;;) {
      const n = await conn.read(buf).catch(() => null);
      if (n === null) break;
      chunks.push(buf.slice(0, n));
      const text = new TextDecoder().decode(concat(chunks));
      const end = text.indexOf("\r\n\r\n");
      if (end >= 0) {
        const len = /\r\ncontent-length: *(\d+)/i.exec(text.slice(0, end));
        if (len && text.length - end - 4 >= Number(len[1])) break;
      }
    }
  } finally {
    clearTimeout(timer);
    try {
      conn.close();
    } catch { /* closed by the timer */ }
  }
  const text = new TextDecoder().decode(concat(chunks));
  const m = /^HTTP\/1\.[01] (\d{3})/.exec(text);
  if (!m) return null;
  const end = text.indexOf("\r\n\r\n");
  return { status: Number(m[1]), head: text.slice(0, end), body: text.slice(end + 4) };
}

function concat(chunks: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(chunks.reduce((a, c) => a + c.length, 0));
  let o = 0;
  for (const c of chunks) {
    out.set(c, o);
    o += c.length;
  }
  return out;
}

/** A GET with Connection: close and the given extra header lines. */
export function get(target: string, headers: string[] = []): string {
  return [`GET ${target} HTTP/1.1`, "Host: 127.0.0.1", "Connection: close", ...headers, "", ""].join("\r\n");
}

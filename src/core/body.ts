// Reads a request body with a hard size cap. Content-Length alone is not enough: a chunked body has
// none, and reading it with req.text() would buffer whatever the client sends.

import { HttpError } from "./errors.ts";

/** The error for a body over `limit` bytes: HttpError 413. */
export function bodyTooLarge(limit: number): HttpError {
  return new HttpError(413, `body too large (more than ${limit} bytes)`);
}

/** The body as text; throws HttpError 413 as soon as more than `max` bytes arrived. */
export async function readBodyCapped(req: Request, max: number): Promise<string> {
  return new TextDecoder().decode(await readBodyBytesCapped(req, max));
}

/**
 * The body's bytes (of a request, or of an upstream response); throws as soon as more
 * than `max` bytes arrived (HttpError 413).
 */
export async function readBodyBytesCapped(
  req: Request | Response,
  max: number,
): Promise<Uint8Array<ArrayBuffer>> {
  const declared = Number(req.headers.get("content-length") ?? "0");
  if (declared > max) {
    await req.body?.cancel().catch(() => {});
    throw bodyTooLarge(max);
  }
  if (req.headers.has("content-length") && !req.headers.has("transfer-encoding")) {
    // A declared length (<= max, checked above) bounds the body: read it in one go, without touching
    // req.body first (creating the stream object makes bytes() read through it too). The stream reader
    // below showed as a ~3 ms p99 tail on the auth hook at one connection (BENCHMARKS.md).
    const bytes = await req.bytes();
    if (bytes.byteLength > max) throw bodyTooLarge(max);
    return bytes as Uint8Array<ArrayBuffer>;
  }
  if (!req.body) return new Uint8Array();
  const reader = req.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > max) {
      await reader.cancel().catch(() => {});
      throw bodyTooLarge(max);
    }
    chunks.push(value);
  }
  const all = new Uint8Array(size);
  let off = 0;
  for (const c of chunks) {
    all.set(c, off);
    off += c.byteLength;
  }
  return all;
}

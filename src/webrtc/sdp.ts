// Checks on what browsers send to the WebRTC endpoints before anything reaches MediaMTX: bounded bodies,
// a plausible SDP offer, a trickle-ICE fragment, and session ids in the form MediaMTX issues (UUIDs).

import { readBodyBytesCapped } from "../core/body.ts";
import { HttpError } from "../core/errors.ts";

export const MAX_SDP_BYTES = 64 * 1024;
export const MAX_FRAG_BYTES = 16 * 1024;
export const SESSION_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/**
 * Reads a request body as text, refusing more than `max` bytes without buffering them. Throws HttpError
 * 413 (too large) or 400 (not UTF-8).
 */
export async function readLimited(req: Request, max: number): Promise<string> {
  const len = req.headers.get("content-length");
  if (len !== null && (!/^\d+$/.test(len) || Number(len) > max)) {
    throw new HttpError(413, `body too large (max ${max} bytes)`);
  }
  let all: Uint8Array;
  try {
    all = await readBodyBytesCapped(req, max);
  } catch (e) {
    if (e instanceof HttpError) throw new HttpError(413, `body too large (max ${max} bytes)`);
    throw e;
  }
  try {
    return new TextDecoder("utf-8", { fatal: true }).decode(all);
  } catch {
    throw new HttpError(400, "body is not valid UTF-8");
  }
}

export function mediaType(req: Request): string {
  return (req.headers.get("content-type") ?? "").split(";")[0].trim().toLowerCase();
}

const LINE_RE = /^[a-z]=[\x20-\x7e\t]*$/;

/** null when `sdp` looks like an SDP offer with media, else what is wrong with it. */
export function sdpProblem(sdp: string): string | null {
  const lines = sdp.split(/\r?\n/);
  if (lines.at(-1) === "") lines.pop();
  if (lines[0] !== "v=0") return "malformed SDP offer: must start with 'v=0'";
  for (let i = 0; i < lines.length; i++) {
    if (!LINE_RE.test(lines[i])) return `malformed SDP offer: bad line ${i + 1}`;
  }
  if (!lines.some((l) => l.startsWith("o="))) return "malformed SDP offer: no 'o=' line";
  if (!lines.some((l) => /^m=(audio|video) \d+ /.test(l))) {
    return "malformed SDP offer: no audio or video media section";
  }
  return null;
}

/** null when `frag` looks like a trickle-ICE SDP fragment (RFC 8840), else the problem. */
export function fragProblem(frag: string): string | null {
  const lines = frag.split(/\r?\n/);
  if (lines.at(-1) === "") lines.pop();
  if (lines.length === 0) return "empty ICE fragment";
  for (let i = 0; i < lines.length; i++) {
    if (!LINE_RE.test(lines[i])) return `malformed ICE fragment: bad line ${i + 1}`;
  }
  return null;
}

// Recorded ranges: parsing and printing their start times and durations, splitting long spans into parts
// that one link can fetch, and the links livegate prints (pages, webhooks). Every link printed here is
// accepted by parseRange: starts are printed in UTC with the fraction MediaMTX gave (up to ns), durations
// in seconds with at most 3 decimals (rounded up to the next millisecond, so a range never ends early).

/** Longest fMP4 range (`format=fmp4`, streamed as MediaMTX reads it): 24 h. */

/** A recorded time span. */
export interface Span {
  /** RFC 3339 start time as MediaMTX reports it. */
  start: string;
  /** Seconds. */
  duration: number;
}

export const MAX_RANGE_SECONDS = 24 * 3600;
/**
 * Longest progressive MP4 range (`format=mp4`): 1 h. MediaMTX's MP4 muxer indexes every sample of the range
 * before it writes the first byte and holds that index in memory (internal/playback/muxer_mp4.go, flush):
 * a 24 h MP4 took 51-188 s to start and 1.2-1.3 GB of MediaMTX's memory, 1 h about 2 s and 35 MB.
 */
export const MAX_MP4_SECONDS = 3600;

const RFC3339 = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(?:\.(\d{1,9}))?(Z|[+-]\d{2}:\d{2})$/i;
const NS_PER_MS = 1_000_000n;
const NS_PER_S = 1_000_000_000n;

/**
 * An RFC 3339 time (as MediaMTX prints it: up to 9 fractional digits, Z or an offset) as nanoseconds since
 * the Unix epoch; null when it is not one.
 */
export function parseTime(s: string): bigint | null {
  const m = RFC3339.exec(s);
  if (!m) return null;
  const ms = Date.parse(`${m[1].toUpperCase()}${m[3].toUpperCase()}`);
  if (Number.isNaN(ms) || ms < 0) return null;
  return BigInt(ms) * NS_PER_MS + BigInt((m[2] ?? "").padEnd(9, "0"));
}

/** Nanoseconds since the epoch as RFC 3339 in UTC, fraction without trailing zeros (`2026-01-02T15:04:05.5Z`). */
export function formatTime(ns: bigint): string {
  const sec = ns / NS_PER_S, frac = ns % NS_PER_S;
  const base = new Date(Number(sec) * 1000).toISOString().slice(0, 19);
  return frac ? `${base}.${String(frac).padStart(9, "0").replace(/0+$/, "")}Z` : `${base}Z`;
}

/**
 * Seconds (any number of decimals: MediaMTX prints float64 values such as `46.787959183` or
 * `18.923000000000002`) as whole milliseconds, rounded up; null when `s` is not a plain decimal number.
 */
export function parseDurationMs(s: string): number | null {
  if (s.length > 40 || !/^\d{1,9}(\.\d+)?$/.test(s)) return null;
  return secondsToMs(Number(s));
}

/** Seconds as whole milliseconds, rounded up (at microsecond resolution, so 18.923 stays 18923 ms). */
export function secondsToMs(sec: number): number {
  return Math.ceil(Math.round(sec * 1e6) / 1000);
}

/** Milliseconds as seconds for a link: `18923` -> `"18.923"`, `60000` -> `"60"`. */
export function formatMs(ms: number): string {
  const s = Math.floor(ms / 1000), f = ms % 1000;
  return f ? `${s}.${String(f).padStart(3, "0").replace(/0+$/, "")}` : String(s);
}

/**
 * Validated ?start=&duration= (start in canonical form, duration in seconds with ms precision) or an error
 * message for a 400. `max` is the longest duration the caller accepts (seconds).
 */
export function parseRange(
  start: string | undefined,
  duration: string | undefined,
  max = MAX_RANGE_SECONDS,
): Span | string {
  if (!start) return "start is required (RFC 3339, e.g. 2026-01-02T15:04:05Z)";
  const t = parseTime(start);
  if (t === null) return "start must be an RFC 3339 time, e.g. 2026-01-02T15:04:05Z";
  if (!duration) return "duration is required (seconds)";
  const ms = parseDurationMs(duration);
  if (ms === null) return "duration must be a number of seconds, e.g. 60 or 18.923";
  if (ms <= 0 || ms > max * 1000) return `duration must be between 0 and ${max} seconds`;
  return { start: formatTime(t), duration: ms / 1000 };
}

/**
 * A span split into as few equal parts as needed for each to be at most `maxSec` long (a span of 25 h: two
 * parts of 12.5 h), with canonical starts and millisecond durations that add up to the span (rounded up).
 * A span that fits is one part. Throws on a start that is not RFC 3339 (MediaMTX always prints one).
 */
export function splitSpan(span: Span, maxSec = MAX_RANGE_SECONDS): Span[] {
  const t0 = parseTime(span.start);
  if (t0 === null) throw new Error(`not an RFC 3339 time: ${span.start}`);
  const total = secondsToMs(span.duration);
  const n = Math.max(1, Math.ceil(total / (maxSec * 1000)));
  const parts: Span[] = [];
  let at = 0;
  for (let i = 0; i < n; i++) {
    const end = i === n - 1 ? total : Math.round((total * (i + 1)) / n);
    parts.push({ start: formatTime(t0 + BigInt(at) * NS_PER_MS), duration: (end - at) / 1000 });
    at = end;
  }
  return parts;
}

/** The format a download link of `span` uses: progressive MP4 up to MAX_MP4_SECONDS, fragmented MP4 above. */
export function downloadFormat(span: Span): "mp4" | "fmp4" {
  return secondsToMs(span.duration) <= MAX_MP4_SECONDS * 1000 ? "mp4" : "fmp4";
}

/** `/recordings/<path>/media?…` for a span (at most MAX_RANGE_SECONDS long), relative to the site root. */
export function mediaLink(path: string, span: Span, format: "fmp4" | "mp4", download = false): string {
  const q = new URLSearchParams({
    start: span.start,
    duration: formatMs(secondsToMs(span.duration)),
    format,
  });
  if (download) q.set("download", "1");
  return `/recordings/${path}/media?${q}`;
}

/** The download link of a span (at most MAX_RANGE_SECONDS long) in the format downloadFormat picks. */
export function downloadLink(path: string, span: Span): string {
  return mediaLink(path, span, downloadFormat(span), true);
}

/** `/recordings/<path>/play?…` for a span (at most MAX_RANGE_SECONDS long). */
export function playLink(path: string, span: Span): string {
  const q = new URLSearchParams({ start: span.start, duration: formatMs(secondsToMs(span.duration)) });
  return `/recordings/${path}/play?${q}`;
}

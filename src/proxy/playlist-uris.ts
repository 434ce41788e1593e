// Adds a query parameter to every URI of an HLS playlist, so a credential given to an external player in
// the playlist's URL (?share=TOKEN: VLC, ffmpeg, a smart TV) travels with each request the player makes
// for that stream: variant and rendition playlists, init sections, parts, segments, preload hints and
// rendition reports. An HLS playlist's URIs are exactly (RFC 8216 section 4.1) the lines that do not start
// with '#', and the quoted-string URI attributes of tags (EXT-X-MEDIA, EXT-X-MAP, EXT-X-PART,
// EXT-X-PRELOAD-HINT, EXT-X-RENDITION-REPORT, EXT-X-I-FRAME-STREAM-INF...; section 4.4, draft-pantos-hls-rfc8216bis
// for the LL-HLS tags). Everything else is left byte for byte as MediaMTX wrote it. (npm's hls-parser
// 0.16 re-serializes LL-HLS playlists with invented tags, e.g. "#EXT-X-KEY:METHOD=undefined", so it is not
// used here.)

const URI_ATTR = /\bURI="([^"]*)"/g;

/** `uri` with `name=value` (value percent-encoded) added, unless it already carries `name`. */
export function addQueryParam(uri: string, name: string, value: string): string {
  const hash = uri.indexOf("#");
  const base = hash >= 0 ? uri.slice(0, hash) : uri;
  const frag = hash >= 0 ? uri.slice(hash) : "";
  const q = base.indexOf("?");
  if (q >= 0 && new URLSearchParams(base.slice(q + 1)).has(name)) return uri;
  const sep = q < 0 ? "?" : base.endsWith("?") || base.endsWith("&") ? "" : "&";
  return `${base}${sep}${name}=${encodeURIComponent(value)}${frag}`;
}

/** The playlist `text` with `name=value` added to every URI it holds (line endings kept). */
export function withQueryParam(text: string, name: string, value: string): string {
  return text.split("\n").map((line) => {
    const cr = line.endsWith("\r") ? "\r" : "";
    const l = cr ? line.slice(0, -1) : line;
    if (l.startsWith("#")) {
      return l.replace(URI_ATTR, (_, uri: string) => `URI="${addQueryParam(uri, name, value)}"`) + cr;
    }
    return l.trim() ? addQueryParam(l.trim(), name, value) + cr : line;
  }).join("\n");
}

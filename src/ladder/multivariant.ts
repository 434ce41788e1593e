// The multivariant playlist of a laddered stream (RFC 8216 section 4.4.6 / draft-pantos-hls-rfc8216bis):
// the source's own multivariant playlist as MediaMTX writes it (its video variant and audio rendition),
// plus one variant per live rung taken from the rung path's multivariant playlist, with its URIs moved
// under `<H>p/` (the rung's HLS URLs are /hls/<stream>/<H>p/<file>) and its audio group renamed so every
// variant keeps the audio that was muxed with its own timeline. BANDWIDTH, AVERAGE-BANDWIDTH, RESOLUTION,
// CODECS and FRAME-RATE are MediaMTX's (it measures the bitrate); a rung that reports no BANDWIDTH yet gets
// its configured bitrate. Pure text in, text out.

const ATTR = (name: string) => new RegExp(`([:,])${name}=("[^"]*"|[^,]*)`);

function setAttr(line: string, name: string, value: string): string {
  const re = ATTR(name);
  return re.test(line) ? line.replace(re, `$1${name}=${value}`) : `${line},${name}=${value}`;
}

function getAttr(line: string, name: string): string | null {
  const m = ATTR(name).exec(line);
  return m ? m[2].replace(/^"|"$/g, "") : null;
}

/** One rung's contribution: its URL prefix (e.g. "360p"), its multivariant text, its configured bitrate. */
export interface RungPlaylist {
  prefix: string;
  text: string;
  /** Configured video bitrate, bit/s (used when MediaMTX reports none yet). */
  bandwidth: number;
}

interface Parsed {
  header: string[];
  media: string[];
  variants: { inf: string; uri: string }[];
}

function parse(text: string): Parsed {
  const out: Parsed = { header: [], media: [], variants: [] };
  const lines = text.split(/\r?\n/).map((l) => l.trim()).filter(Boolean);
  for (let i = 0; i < lines.length; i++) {
    const l = lines[i];
    if (l.startsWith("#EXT-X-MEDIA:")) out.media.push(l);
    else if (l.startsWith("#EXT-X-STREAM-INF:")) {
      const uri = lines[i + 1] && !lines[i + 1].startsWith("#") ? lines[++i] : "";
      if (uri) out.variants.push({ inf: l, uri });
    } else if (l.startsWith("#") && out.media.length === 0 && out.variants.length === 0) out.header.push(l);
  }
  return out;
}

/**
 * The combined multivariant playlist: `source` (MediaMTX's multivariant text of the stream) first, then
 * every rung of `rungs`. Returns null when the source text has no variant (not a multivariant playlist).
 */
export function combineMultivariant(source: string, rungs: RungPlaylist[]): string | null {
  const src = parse(source);
  if (!src.variants.length) return null;
  const header = src.header.length ? src.header : ["#EXTM3U", "#EXT-X-VERSION:10"];
  const media = [...src.media];
  const variants = [...src.variants];
  for (const r of rungs) {
    const p = parse(r.text);
    const groups = new Map<string, string>();
    for (const m of p.media) {
      const group = getAttr(m, "GROUP-ID") ?? "";
      const renamed = `${group}-${r.prefix}`;
      groups.set(group, renamed);
      let line = setAttr(m, "GROUP-ID", `"${renamed}"`);
      const uri = getAttr(m, "URI");
      if (uri !== null) line = setAttr(line, "URI", `"${r.prefix}/${uri}"`);
      // Only the source's rendition is the default of its own group; each rung's group has its own.
      media.push(line);
    }
    for (const v of p.variants) {
      let inf = v.inf;
      for (const kind of ["AUDIO", "SUBTITLES", "VIDEO"]) {
        const g = getAttr(inf, kind);
        if (g !== null && groups.has(g)) inf = setAttr(inf, kind, `"${groups.get(g)}"`);
      }
      const bw = Number(getAttr(inf, "BANDWIDTH") ?? "0");
      if (!(bw > 0)) inf = setAttr(inf, "BANDWIDTH", String(r.bandwidth));
      if (getAttr(inf, "AVERAGE-BANDWIDTH") === null) {
        inf = setAttr(inf, "AVERAGE-BANDWIDTH", String(r.bandwidth));
      }
      variants.push({ inf, uri: `${r.prefix}/${v.uri}` });
    }
  }
  return [
    ...header,
    "",
    ...media,
    "",
    ...variants.flatMap((v) => [v.inf, v.uri]),
    "",
  ].join("\n");
}

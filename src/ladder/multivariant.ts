// The multivariant playlist of a laddered stream (RFC 8216 section 4.4.6 / draft-pantos-hls-rfc8216bis):
// the source's own multivariant playlist as MediaMTX writes it (its video variant and audio rendition),
// plus one variant per live rung taken from the rung path's multivariant playlist (video only), with its
// URI moved under `<H>p/` (the rung's HLS URLs are /hls/<stream>/<H>p/<file>) and the source's audio
// group as its audio: one audio rendition for all, on the same timeline as every rung (args.ts).
// RESOLUTION and FRAME-RATE are MediaMTX's; BANDWIDTH and AVERAGE-BANDWIDTH are MediaMTX's measured video
// bitrate (the configured one until it measured) plus the audio; CODECS gets the audio codec added.
// Pure text in, text out.

/** Audio codec names of a CODECS list (AAC, Opus, AC-3, E-AC-3, FLAC, MP3). */
const AUDIO_CODEC = /^(mp4a|opus|ac-3|ec-3|fLaC|mp3)/;
/** What the shared audio rendition adds to a rung's bandwidth (bit/s): MediaMTX measures only video. */
const AUDIO_BPS = 128_000;

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
  const srcInf = src.variants[0].inf;
  const audioGroup = getAttr(srcInf, "AUDIO");
  const audioCodecs = (getAttr(srcInf, "CODECS") ?? "").split(",").filter((c) => AUDIO_CODEC.test(c));
  const variants = [...src.variants];
  for (const r of rungs) {
    for (const v of parse(r.text).variants) {
      let inf = v.inf;
      const bw = Number(getAttr(inf, "BANDWIDTH") ?? "0");
      const avg = Number(getAttr(inf, "AVERAGE-BANDWIDTH") ?? "0");
      // The shared audio rendition counts into every variant's bandwidth and codecs (RFC 8216 4.4.6.2).
      inf = setAttr(inf, "BANDWIDTH", String((bw > 0 ? bw : r.bandwidth) + AUDIO_BPS * audioCodecs.length));
      inf = setAttr(
        inf,
        "AVERAGE-BANDWIDTH",
        String((avg > 0 ? avg : r.bandwidth) + AUDIO_BPS * audioCodecs.length),
      );
      if (audioGroup !== null) {
        const video = (getAttr(inf, "CODECS") ?? "").split(",").filter((c) => c && !AUDIO_CODEC.test(c));
        inf = setAttr(inf, "CODECS", `"${[...video, ...audioCodecs].join(",")}"`);
        inf = setAttr(inf, "AUDIO", `"${audioGroup}"`);
      }
      variants.push({ inf, uri: `${r.prefix}/${v.uri}` });
    }
  }
  return [
    ...header,
    "",
    ...src.media,
    "",
    ...variants.flatMap((v) => [v.inf, v.uri]),
    "",
  ].join("\n");
}

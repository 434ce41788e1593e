// Marks LL-HLS parts that carry no media as GAP=YES in the playlists livegate passes on.
//
// MediaMTX (v1.20.1) cuts every rendition's parts at the same boundaries (every hlsPartDuration of the
// leading track). A track whose samples arrive in bursts longer than a part gets parts with no sample at
// all: a moof with only its mfhd and an empty mdat (32 bytes). MPEG-TS over SRT does this to AAC audio
// (ffmpeg, OBS and most encoders put ~250 ms of AAC frames in one PES packet, longer than the 200 ms part),
// so about one audio part in five is empty. hls.js (1.7.4) loads a part until some media of it is buffered
// (`Part.loaded`, base-stream-controller getNextPart; its no-progress guard skips parts): an empty part is
// loaded again and again until the playlist moves on, ~100 requests in a few hundred ms (issue 15, "loop
// loading"). RFC 8216bis section 4.4.4.9 gives the cure: `GAP=YES` on an EXT-X-PART says the part is not
// available, and hls.js (and Safari) skip such parts. The playlist of a stream is answered once for all
// its viewers (hls-shared.ts), so each part is looked at once, and the look is the fetch the viewers'
// request for that part would make anyway (the part is then answered from memory).

/**
 * Whether an fMP4 part (ISO/IEC 14496-12 `moof` + `mdat`) carries media: true when an `mdat` box has a
 * payload, or when the bytes are not a movie fragment at all (nothing is marked that is not understood).
 * Reads only the top-level box headers (32-bit size + type, 64-bit `largesize` when size is 1; section
 * 4.2): too small a job for an MP4 library.
 */
export function partHasMedia(bytes: Uint8Array): boolean {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let sawMoof = false;
  for (let at = 0; at + 8 <= bytes.byteLength;) {
    let size = view.getUint32(at);
    const type = String.fromCharCode(bytes[at + 4], bytes[at + 5], bytes[at + 6], bytes[at + 7]);
    let header = 8;
    if (size === 1) {
      if (at + 16 > bytes.byteLength) return true;
      size = Number(view.getBigUint64(at + 8));
      header = 16;
    } else if (size === 0) size = bytes.byteLength - at; // to the end of the file
    if (size < header) return true; // not ISO BMFF: leave it alone
    if (type === "moof") sawMoof = true;
    if (type === "mdat" && size > header) return true;
    at += size;
  }
  return !sawMoof;
}

/** An EXT-X-PART line (its attribute list in group 1), and the URI attribute in such a list. */
const PART_LINE = /^#EXT-X-PART:(.*)$/;
const URI_ATTR = /(?:^|,)URI="([^"]*)"/;

/**
 * What is known about parts (by URL): empty or not. Bounded: the oldest answers are dropped beyond
 * `max` entries (a part leaves MediaMTX's playlists within seconds).
 */
export class EmptyParts {
  #known = new Map<string, boolean>();
  /** Parts found empty so far (for tests and curious operators). */
  found = 0;
  constructor(readonly max = 4096) {}

  /**
   * `playlist` with `,GAP=YES` added to each EXT-X-PART whose part has no media. `scope` names the
   * playlist's place (the stream path: part names are remembered under it). `fetchPart(uri)` gives a
   * part's bytes (null when it could not be had: such a part is left unmarked, and asked again next
   * time). Parts marked INDEPENDENT=YES start with a sync sample, so they are not empty and not fetched.
   * Lines are otherwise kept byte for byte.
   */
  async mark(
    playlist: string,
    scope: string,
    fetchPart: (uri: string) => Promise<Uint8Array | null>,
  ): Promise<string> {
    if (!playlist.includes("#EXT-X-PART:")) return playlist;
    const lines = playlist.split("\n");
    const checks: Promise<void>[] = [];
    let changed = false;
    for (let i = 0; i < lines.length; i++) {
      const cr = lines[i].endsWith("\r") ? "\r" : "";
      const line = cr ? lines[i].slice(0, -1) : lines[i];
      const m = PART_LINE.exec(line);
      if (!m || /(?:^|,)(?:INDEPENDENT|GAP)=YES/.test(m[1])) continue;
      const uri = URI_ATTR.exec(m[1])?.[1];
      if (!uri) continue;
      const mark = () => {
        lines[i] = `${line},GAP=YES${cr}`;
        changed = true;
      };
      const key = `${scope}/${uri}`;
      const known = this.#known.get(key);
      if (known === true) mark();
      if (known !== undefined) continue;
      checks.push(
        fetchPart(uri).then((bytes) => {
          if (!bytes) return;
          const empty = !partHasMedia(bytes);
          this.#remember(key, empty);
          if (empty) {
            this.found++;
            mark();
          }
        }, () => {}),
      );
    }
    await Promise.all(checks);
    return changed ? lines.join("\n") : playlist;
  }

  #remember(key: string, empty: boolean) {
    this.#known.set(key, empty);
    if (this.#known.size > this.max) this.#known.delete(this.#known.keys().next().value!);
  }
}

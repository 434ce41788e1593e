// The quality menu of a laddered stream on WebRTC (src/ladder/): "Auto" plus the source and each live rung
// (GET /api/streams/<path>/rungs), showing the one playing ("Auto (180p)"). A rung is its own WHEP session
// on /whep/<stream>/<H>p (same permission as the stream). Rungs are video only (the ladder's ffmpeg reads
// the source over RTMP, which carries no Opus from this ffmpeg, and publishes over RTMP, which cannot carry
// Opus either; see docs/quality-ladder.md), so on a rung the sound comes from a second, audio-only WHEP
// session on the stream itself: a viewer on a rung receives the rung's video plus the source's Opus audio.
// A switch is make-before-break: the new session(s) connect and show a first frame in a hidden <video>
// before their tracks replace the old ones in the player's MediaStream; the old session then ends. In Auto
// the choice follows the receiver's stats (rtc-auto.ts), checked every second. The element carries the
// state for tests and scripts: data-current (height playing), data-auto ("1" on Auto), data-switches,
// data-reason (why Auto last stepped), data-error (why the last switch failed), data-audio-packets and
// data-audio-energy (the audio-only session's sound on a rung).
import { HttpError, negotiate, type RtcSession, rtcStats, waitConnected } from "./whep.ts";
import { autoState, autoStep, type RtcSample, zeroSample } from "./rtc-auto.ts";

/** One level of the menu: the source (rung null) or a rung. */
interface Level {
  height: number;
  width: number;
  /** Video bitrate (kbit/s), null for the source (not configured: it is what the publisher sends). */
  kbps: number | null;
  /** WHEP URL path of a rung (/whep/<stream>/<H>p), null for the source. */
  rung: string | null;
}

/** The answer of GET /api/streams/<path>/rungs (src/ladder/routes.ts RungsView). */
interface RungsView {
  source: { width: number; height: number } | null;
  rungs: { height: number; width: number; kbps: number; whep: string }[];
}

export interface RtcLadderOptions {
  path: string;
  csrf: string;
  video: HTMLVideoElement;
  /** Where the menu goes (the player's bar). */
  anchor: Element;
  /** Whether the stream has audio WebRTC carries (then rungs get the stream's audio-only session). */
  audio: boolean;
  /** The player's current WebRTC session (its video is what the stats are read from). */
  current: () => RtcSession | null;
  /** Makes `s` the player's session (the old one is ended by the ladder). */
  replace: (s: RtcSession) => void;
}

/** How often the rung list is fetched again (ms): rungs come and go with the ladder's ffmpeg. */
const LIST_MS = 10_000;
/** How often the stats are read for Auto (ms). */
const STATS_MS = 1000;
/** A new session that shows no frame within this long (ms) is given up (the old one plays on). */
const SWITCH_TIMEOUT_MS = 10_000;

/** The label of a level: "360p · source" or "180p · 250 kbit/s". */
export function levelLabel(l: { height: number; kbps: number | null }): string {
  return l.kbps === null ? `${l.height}p · source` : `${l.height}p · ${l.kbps} kbit/s`;
}

/** The receiver counters of the video in `pc` (RtcSample for rtc-auto.ts). */
export async function videoSample(pc: RTCPeerConnection): Promise<RtcSample> {
  const s = zeroSample(performance.now());
  (await pc.getStats()).forEach((r) => {
    if (r.type === "inbound-rtp" && r.kind === "video") {
      s.packetsReceived += r.packetsReceived ?? 0;
      s.packetsLost += r.packetsLost ?? 0;
      s.framesDecoded += r.framesDecoded ?? 0;
      s.framesDropped += r.framesDropped ?? 0;
      s.freezeCount += r.freezeCount ?? 0;
      s.jitterBufferDelay += r.jitterBufferDelay ?? 0;
      s.jitterBufferEmittedCount += r.jitterBufferEmittedCount ?? 0;
    }
    if (r.type === "candidate-pair" && r.nominated && typeof r.availableIncomingBitrate === "number") {
      s.availableIncomingBitrate = r.availableIncomingBitrate;
    }
  });
  return s;
}

/** A receive-only WHEP session of `path` with the given media kinds; tracks arrive in `tracks`. */
async function session(
  path: string,
  csrf: string,
  kinds: ("video" | "audio")[],
): Promise<{ s: RtcSession; tracks: Promise<MediaStreamTrack[]> }> {
  const pc = new RTCPeerConnection();
  for (const k of kinds) pc.addTransceiver(k, { direction: "recvonly" });
  const got: MediaStreamTrack[] = [];
  const tracks = new Promise<MediaStreamTrack[]>((resolve) => {
    pc.addEventListener("track", (e) => {
      got.push(e.track);
      if (got.length === kinds.length) resolve(got);
    });
  });
  try {
    const s = await negotiate(pc, "whep", path, csrf);
    return { s, tracks };
  } catch (e) {
    pc.close();
    throw e;
  }
}

/** Resolves once `track` shows a first frame (a hidden <video> plays it); rejects after `ms`. */
function firstFrame(track: MediaStreamTrack, ms: number): Promise<void> {
  const v = document.createElement("video");
  v.muted = true;
  v.playsInline = true;
  v.style.cssText = "position:absolute;width:1px;height:1px;opacity:0;pointer-events:none";
  v.srcObject = new MediaStream([track]);
  document.body.append(v);
  v.play().catch(() => {});
  return new Promise<void>((resolve, reject) => {
    const t = setTimeout(() => done(new Error(`no picture within ${ms / 1000} s`)), ms);
    const poll = setInterval(() => v.videoWidth > 0 && v.currentTime > 0 && done(), 50);
    function done(err?: Error) {
      clearTimeout(t);
      clearInterval(poll);
      v.srcObject = null;
      v.remove();
      if (err) reject(err);
      else resolve();
    }
  });
}

/** Combines a rung's video session and the stream's audio-only session into one for the player. */
function combined(video: RtcSession, audio: RtcSession | null): RtcSession {
  return {
    pc: video.pc,
    location: video.location,
    close() {
      video.close();
      audio?.close();
    },
  };
}

export class RtcLadder {
  readonly box: HTMLLabelElement;
  readonly #select: HTMLSelectElement;
  readonly #o: RtcLadderOptions;
  #levels: Level[] = [];
  /** Level playing (index into #levels; 0 = source). */
  #level = 0;
  #auto = true;
  #autoState = autoState(0);
  #switching = false;
  #stopped = false;
  #timers: ReturnType<typeof setInterval>[] = [];
  /** While a rung plays: its video session, and the stream's audio-only one (kept across rung changes). */
  #rungVideo: RtcSession | null = null;
  #audio: RtcSession | null = null;
  switches = 0;

  constructor(o: RtcLadderOptions) {
    this.#o = o;
    this.box = document.createElement("label");
    this.box.className = "quality hidden";
    this.box.id = "quality";
    this.box.title = "Quality";
    this.#select = document.createElement("select");
    this.#select.setAttribute("aria-label", "Quality");
    this.box.append(this.#select);
    o.anchor.append(this.box);
    this.#select.addEventListener("change", () => this.choose(Number(this.#select.value)));
    void this.#list();
    this.#timers.push(setInterval(() => void this.#list(), LIST_MS));
    this.#timers.push(setInterval(() => void this.#tick(), STATS_MS));
    this.#render();
  }

  /** -1: Auto; otherwise the level (0 = source) to keep playing. */
  choose(level: number): void {
    this.#auto = level < 0;
    if (this.#auto) this.#autoState = autoState(this.#level);
    else if (level !== this.#level) void this.#switchTo(level, "chosen");
    this.#render();
  }

  /**
   * Ends the menu and the timers; a switch under way gives up and ends what it started. The player ends its
   * session (on a rung the combined one, which ends the audio-only session too).
   */
  stop(): void {
    this.#stopped = true;
    for (const t of this.#timers) clearInterval(t);
    this.box.remove();
  }

  async #list(): Promise<void> {
    let v: RungsView;
    try {
      const r = await fetch(`/api/streams/${encodeURIComponent(this.#o.path)}/rungs`, {
        credentials: "same-origin",
        cache: "no-store",
      });
      if (!r.ok) return;
      v = await r.json();
    } catch {
      return;
    }
    if (this.#stopped) return;
    const levels: Level[] = v.source
      ? [
        { height: v.source.height, width: v.source.width, kbps: null, rung: null },
        ...v.rungs.map((g) => ({ height: g.height, width: g.width, kbps: g.kbps, rung: g.whep })),
      ]
      : [];
    const playing = this.#levels[this.#level];
    this.#levels = levels;
    // Keep the level playing by its height (the list may have changed under it).
    const i = playing ? levels.findIndex((l) => l.height === playing.height && !l.rung === !playing.rung) : 0;
    this.#level = Math.max(0, i);
    if (playing?.rung && i < 0 && !this.#switching) void this.#switchTo(0, "the rung went away"); // back to the source
    this.#build();
  }

  #build(): void {
    this.#select.replaceChildren();
    const auto = document.createElement("option");
    auto.value = "-1";
    auto.textContent = "Auto";
    this.#select.append(auto);
    this.#levels.forEach((l, i) => {
      const o = document.createElement("option");
      o.value = String(i);
      o.textContent = levelLabel(l);
      this.#select.append(o);
    });
    this.box.classList.toggle("hidden", this.#levels.length < 2);
    this.#render();
  }

  #render(): void {
    const cur = this.#levels[this.#level];
    this.box.dataset.auto = this.#auto ? "1" : "0";
    this.box.dataset.current = cur ? String(cur.height) : "";
    this.box.dataset.switches = String(this.switches);
    const autoOpt = this.#select.options[0];
    if (autoOpt) autoOpt.textContent = this.#auto && cur ? `Auto (${cur.height}p)` : "Auto";
    this.#select.value = this.#auto ? "-1" : String(this.#level);
  }

  async #tick(): Promise<void> {
    // On a rung the sound comes from the audio-only session: its packets and energy, for tests and scripts.
    if (this.#audio) {
      const a = await rtcStats(this.#audio.pc).catch(() => null);
      if (a) {
        this.box.dataset.audioPackets = String(a.audioPackets);
        this.box.dataset.audioEnergy = String(a.audioEnergy);
      }
    }
    const s = this.#o.current();
    if (!this.#auto || this.#switching || !s || this.#levels.length < 2) return;
    let sample: RtcSample;
    try {
      sample = await videoSample(s.pc);
    } catch {
      return;
    }
    if (this.#stopped || !this.#auto || this.#switching || s !== this.#o.current()) return;
    const bps = this.#levels.map((l) => (l.kbps === null ? null : l.kbps * 1000));
    const d = autoStep(this.#autoState, sample, bps);
    if (d.level !== this.#level && d.level < this.#levels.length) {
      this.box.dataset.reason = d.reason;
      void this.#switchTo(d.level, d.reason);
    }
  }

  /** Make-before-break switch to `level`; on failure the current session plays on. */
  async #switchTo(level: number, reason: string): Promise<void> {
    const target = this.#levels[level];
    const old = this.#o.current();
    if (!target || !old || this.#switching) return;
    this.#switching = true;
    this.box.dataset.switching = "1";
    const { path, csrf, video } = this.#o;
    const made: RtcSession[] = [];
    try {
      let next: RtcSession;
      let tracks: MediaStreamTrack[];
      let audio: RtcSession | null = null;
      if (target.rung === null) {
        const a = await session(path, csrf, this.#o.audio ? ["video", "audio"] : ["video"]);
        made.push(a.s);
        await waitConnected(a.s.pc, SWITCH_TIMEOUT_MS);
        tracks = await a.tracks;
        next = a.s;
      } else {
        const rungPath = target.rung.replace(/^\/whep\//, "");
        const v = await session(rungPath, csrf, ["video"]);
        made.push(v.s);
        audio = this.#audio;
        let audioTracks: MediaStreamTrack[] = [];
        if (!audio && this.#o.audio) {
          const a = await session(path, csrf, ["audio"]);
          made.push(a.s);
          audio = a.s;
          await waitConnected(a.s.pc, SWITCH_TIMEOUT_MS);
          audioTracks = await a.tracks;
        }
        await waitConnected(v.s.pc, SWITCH_TIMEOUT_MS);
        tracks = [...(await v.tracks), ...audioTracks];
        next = combined(v.s, audio);
      }
      const vt = tracks.find((t) => t.kind === "video");
      if (vt) await firstFrame(vt, SWITCH_TIMEOUT_MS);
      if (this.#stopped || this.#o.current() !== old) throw new Error("the player moved on");
      // Swap the tracks in the playing MediaStream: the <video> goes on without reloading. A kind the new
      // session(s) do not bring (the audio kept from the stream's audio-only session) stays.
      const ms = video.srcObject instanceof MediaStream ? video.srcObject : new MediaStream();
      const kinds = new Set(tracks.map((t) => t.kind));
      for (const t of tracks) ms.addTrack(t);
      for (const t of ms.getTracks()) if (!tracks.includes(t) && kinds.has(t.kind)) ms.removeTrack(t);
      if (video.srcObject !== ms) video.srcObject = ms;
      video.play().catch(() => {});
      // The old session ends; from rung to rung the stream's audio-only session is kept.
      if (this.#rungVideo && target.rung !== null) this.#rungVideo.close();
      else old.close();
      this.#rungVideo = target.rung !== null ? made[0] : null;
      this.#audio = target.rung !== null ? audio : null;
      this.#o.replace(next);
      // By what it is, not by index: the rung list may have been fetched again meanwhile.
      const now = this.#levels.findIndex((l) => l.height === target.height && !l.rung === !target.rung);
      this.#level = now >= 0 ? now : level;
      this.switches++;
      this.#autoState = autoState(this.#level);
      console.info(`[livegate] WebRTC quality: ${levelLabel(target)} (${reason})`);
    } catch (e) {
      for (const s of made) s.close();
      const msg = e instanceof HttpError ? `${e.status} ${e.message}` : (e as Error).message;
      this.box.dataset.error = msg;
      // Auto judges the level still playing again from scratch (another try after DOWN_BAD more bad windows).
      this.#autoState = autoState(this.#level);
      console.warn(`[livegate] WebRTC quality switch to ${target.height}p failed: ${msg}`);
    } finally {
      this.#switching = false;
      delete this.box.dataset.switching;
      this.#render();
    }
  }
}

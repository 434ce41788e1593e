// livegate's scrape-time gauges (sessions, live streams, viewers, MediaMTX, recordings disk), read from the
// sources of one app: each app gets its own registry of them (createGauges), merged with the process-wide
// counters of registry.ts by the /metrics route. No module state.
import client from "prom-client";

/** What the scrape-time gauges read (set by the operations started with the server). Missing sources are
 * simply not reported. */
export interface MetricSources {
  activeSessions?: () => Promise<number>;
  streams?: () => { path: string; ready: boolean; readers: number; viewers: number }[] | undefined;
  mediamtx?: () => { up: boolean; restarts: number };
  /** Quality ladders running now: encoder speed (x real time), whether it cannot keep up, restarts. */
  ladders?: () => { path: string; speed: number | null; slow: boolean; restarts: number }[];
  disk?: () => Promise<
    { paths: Record<string, number>; fs: { sizeBytes: number; freeBytes: number } | null }
  >;
  /** Restream destinations with a runner: stream path and state (src/restream/restreamer.ts). */
  restream?: () => { path: string; state: string }[];
}

/** A registry with livegate's gauges reading `sources` at scrape time (set the sources' fields later). */
export function createGauges(sources: MetricSources, reg = new client.Registry()): client.Registry {
  new client.Gauge({
    name: "livegate_sessions_active",
    help: "Login sessions that have not expired",
    registers: [reg],
    async collect() {
      if (sources.activeSessions) this.set(await sources.activeSessions());
    },
  });

  new client.Gauge({
    name: "livegate_ladder_encoder_speed",
    help: "Encoder speed of each running quality ladder, x real time (below 1: it cannot keep up)",
    labelNames: ["path"] as const,
    registers: [reg],
    collect() {
      this.reset();
      for (const l of sources.ladders?.() ?? []) if (l.speed !== null) this.set({ path: l.path }, l.speed);
    },
  });

  new client.Gauge({
    name: "livegate_ladder_restarts",
    help: "Restarts of each running quality ladder's ffmpeg since it started",
    labelNames: ["path"] as const,
    registers: [reg],
    collect() {
      this.reset();
      for (const l of sources.ladders?.() ?? []) this.set({ path: l.path }, l.restarts);
    },
  });

  new client.Gauge({
    name: "livegate_streams_live",
    help: "Streams currently being published",
    registers: [reg],
    collect() {
      const s = sources.streams?.();
      if (s) this.set(s.filter((p) => p.ready).length);
    },
  });

  new client.Gauge({
    name: "livegate_stream_viewers",
    help: "Viewers of each live stream as livegate's media proxies see them (active in the last 15 s)",
    labelNames: ["path"] as const,
    registers: [reg],
    collect() {
      this.reset();
      for (const p of sources.streams?.() ?? []) if (p.ready) this.set({ path: p.path }, p.viewers);
    },
  });

  new client.Gauge({
    name: "livegate_stream_readers",
    help: "Readers of each live stream as MediaMTX counts them (livegate's HLS proxy counts as one)",
    labelNames: ["path"] as const,
    registers: [reg],
    collect() {
      this.reset();
      for (const p of sources.streams?.() ?? []) if (p.ready) this.set({ path: p.path }, p.readers);
    },
  });

  new client.Gauge({
    name: "livegate_mediamtx_up",
    help: "1 when MediaMTX is running and ready, 0 otherwise",
    registers: [reg],
    collect() {
      if (sources.mediamtx) this.set(sources.mediamtx().up ? 1 : 0);
    },
  });

  new client.Gauge({
    name: "livegate_mediamtx_restarts",
    help: "Times livegate restarted MediaMTX since it started",
    registers: [reg],
    collect() {
      if (sources.mediamtx) this.set(sources.mediamtx().restarts);
    },
  });

  new client.Gauge({
    name: "livegate_recordings_bytes",
    help: "Bytes of recordings on disk, by stream path",
    labelNames: ["path"] as const,
    registers: [reg],
    async collect() {
      this.reset();
      const d = await sources.disk?.();
      for (const [path, bytes] of Object.entries(d?.paths ?? {})) this.set({ path }, bytes);
    },
  });

  new client.Gauge({
    name: "livegate_recordings_disk_free_bytes",
    help: "Free bytes on the file system holding the recordings",
    registers: [reg],
    async collect() {
      const d = await sources.disk?.();
      if (d?.fs) this.set(d.fs.freeBytes);
    },
  });

  new client.Gauge({
    name: "livegate_recordings_disk_size_bytes",
    help: "Size of the file system holding the recordings",
    registers: [reg],
    async collect() {
      const d = await sources.disk?.();
      if (d?.fs) this.set(d.fs.sizeBytes);
    },
  });

  new client.Gauge({
    name: "livegate_restream_destinations",
    help:
      "Restream destinations being fed or tried, by stream path and state (connecting, live, retrying, failed)",
    labelNames: ["path", "state"] as const,
    registers: [reg],
    collect() {
      this.reset();
      const counts = new Map<string, { path: string; state: string; n: number }>();
      for (const d of sources.restream?.() ?? []) {
        const k = `${d.path}\n${d.state}`;
        const c = counts.get(k) ?? counts.set(k, { path: d.path, state: d.state, n: 0 }).get(k)!;
        c.n++;
      }
      for (const c of counts.values()) this.set({ path: c.path, state: c.state }, c.n);
    },
  });
  return reg;
}

// Analytics panels (the Analytics page and the stream admin page's section): every
// <section data-analytics="SCOPE"> (a stream path, or "server") gets window buttons (live = the last
// 15 minutes, refreshed every sample; 24 h; 7 days; 30 days), a zoomable chart of concurrent viewers by
// delivery (uPlot: drag to zoom, double-click to reset), the totals of the window, the broadcasts with
// their quality (time to first frame, latency, rebuffering) and CSV links. Data: the analytics API
// (src/analytics/routes.ts).
import uPlot from "uplot";
import "uplot/dist/uPlot.min.css";

type Report = {
  step: number;
  sampleSeconds: number;
  summary: {
    peak: number;
    unique: number | null;
    watchSeconds: number;
    avgViewSeconds: number | null;
    broadcasts: number;
  };
  series: Record<string, (number | null)[]>;
  broadcasts: Broadcast[];
  qoe: Qoe | null;
  qoeSeries: Record<string, (number | null)[]> | null;
};
type Dist = { n: number; p50: number | null; p95: number | null };
type Qoe = {
  beacons: number;
  ttffMs: Dist;
  latencyMs: Dist;
  rebufferMs: Dist;
  rebufferCount: number;
  rebufferRatio: number | null;
  fatalErrors: number;
  levelChanges: number;
};
type Broadcast = {
  start: number;
  end: number | null;
  live: boolean;
  durationSeconds: number;
  protocol: string;
  codecs: string[];
  resolution: string | null;
  bitrate: { avg: number | null; min: number | null };
  peak: number;
  unique: number;
  watchSeconds: number;
  avgViewSeconds: number;
  delivery: Record<"webrtc" | "hls" | "share", { unique: number; watchSeconds: number }>;
  qoe: Qoe;
};

const WINDOWS: [string, string, number][] = [
  ["live", "Live", 15 * 60_000],
  ["24h", "24 h", 86_400_000],
  ["7d", "7 days", 7 * 86_400_000],
  ["30d", "30 days", 30 * 86_400_000],
];

/** What tests read: panels drawn, and the latest error. */
const stats = { rendered: 0, points: 0, error: "" };
(globalThis as unknown as { livegateAnalytics: typeof stats }).livegateAnalytics = stats;

const el = <K extends keyof HTMLElementTagNameMap>(tag: K, text = "", cls = "") => {
  const e = document.createElement(tag);
  if (text) e.textContent = text;
  if (cls) e.className = cls;
  return e;
};
const dur = (s: number | null) => {
  if (s === null) return "–";
  const h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60), sec = Math.round(s % 60);
  return h ? `${h} h ${m} min` : m ? `${m} min ${sec} s` : `${sec} s`;
};
const ms = (v: number | null) => (v === null ? "–" : v >= 1000 ? `${(v / 1000).toFixed(1)} s` : `${v} ms`);
const kbps = (v: number | null) => (v === null ? "–" : `${Math.round(v / 1000)} kbit/s`);
/** The charts' time axis in UTC, like the rest of the page. */
const utc = (ts: number) => uPlot.tzDate(new Date(ts * 1000), "Etc/UTC");
const when = (t: number) => new Date(t).toISOString().replace("T", " ").slice(0, 19);

function panel(root: HTMLElement) {
  const scope = root.dataset.analytics ?? "";
  const base = scope === "server"
    ? "/api/analytics/server"
    : `/api/streams/${encodeURIComponent(scope)}/analytics`;
  const head = el("div", "", "row-between");
  const buttons = el("div", "", "windows");
  head.append(el("h1", root.dataset.title ?? scope), buttons);
  const chartBox = el("div", "", "chart");
  const qoeTitle = el("h2", "Quality over time (per hour, p50 and p95)", "hidden");
  const qoeBox = el("div", "", "chart qoe");
  const summary = el("div");
  const table = el("div");
  const links = el("p", "", "muted");
  root.replaceChildren(head, chartBox, summary, qoeTitle, qoeBox, table, links);
  let plot: uPlot | null = null;
  let qplot: uPlot | null = null;
  let win = WINDOWS[0];
  let timer: ReturnType<typeof setTimeout> | undefined;

  for (const w of WINDOWS) {
    const b = el("button", w[1], "link");
    b.type = "button";
    b.dataset.window = w[0];
    b.addEventListener("click", () => {
      win = w;
      void load();
    });
    buttons.append(b);
  }

  async function load() {
    clearTimeout(timer);
    for (const b of buttons.querySelectorAll("button")) {
      b.classList.toggle("active", b.dataset.window === win[0]);
    }
    const to = Date.now();
    const q = `from=${to - win[2]}&to=${to}`;
    try {
      const res = await fetch(`${base}?${q}`, { credentials: "same-origin", cache: "no-store" });
      const r = await res.json();
      if (!res.ok) throw new Error(r.error ?? `HTTP ${res.status}`);
      draw(r as Report);
      links.replaceChildren(
        "Export CSV: ",
        Object.assign(el("a", "samples"), { href: `${base}?${q}&format=csv` }),
        ...(scope === "server" ? [] : [
          " · ",
          Object.assign(el("a", "broadcasts"), { href: `${base}?${q}&format=csv&table=broadcasts` }),
        ]),
        ` · JSON: ${base}?from=…&to=… (ms or ISO 8601)`,
      );
      if (win[0] === "live") timer = setTimeout(load, Math.max(5, r.sampleSeconds) * 1000);
    } catch (e) {
      stats.error = (e as Error).message;
      summary.replaceChildren(el("p", `Analytics not available: ${stats.error}`, "error"));
    }
  }

  function draw(r: Report) {
    const s = r.series;
    const x = (s.t as number[]).map((t) => t / 1000);
    const data: uPlot.AlignedData = [x, s.viewers, s.peak, s.webrtc, s.hls, s.share];
    const width = Math.max(300, chartBox.clientWidth || root.clientWidth - 48);
    if (!plot) {
      const axis = { stroke: "#9aa3b2", grid: { stroke: "#2a2f3a" }, ticks: { stroke: "#2a2f3a" } };
      plot = new uPlot(
        {
          width,
          height: 260,
          tzDate: utc,
          cursor: { drag: { x: true, y: false } },
          scales: { y: { range: (_u, _min, max) => [0, Math.max(1, Math.ceil(max * 1.1))] } },
          axes: [axis, { ...axis, label: "viewers" }],
          series: [
            { label: "time (UTC)", value: (_u, v) => (v === null ? "–" : when(v * 1000)) },
            { label: "viewers", stroke: "#ff3b5c", width: 2 },
            { label: "peak", stroke: "#ffb020", dash: [4, 4] },
            { label: "WebRTC", stroke: "#3ddc97" },
            { label: "LL-HLS", stroke: "#8ab4ff" },
            { label: "share link", stroke: "#c792ea" },
          ],
        },
        data,
        chartBox,
      );
    } else {
      plot.setData(data);
    }
    const qs = r.qoeSeries;
    qoeTitle.classList.toggle("hidden", !qs?.t.length);
    if (qs?.t.length) {
      const secs = (xs: (number | null)[]) => xs.map((v) => (v === null ? null : v / 1000));
      const qdata: uPlot.AlignedData = [
        (qs.t as number[]).map((t) => t / 1000),
        secs(qs.ttffP50),
        secs(qs.ttffP95),
        secs(qs.latencyP50),
        secs(qs.latencyP95),
      ];
      if (!qplot) {
        const axis = { stroke: "#9aa3b2", grid: { stroke: "#2a2f3a" }, ticks: { stroke: "#2a2f3a" } };
        const pts = { show: true, size: 6 };
        qplot = new uPlot(
          {
            width,
            height: 200,
            tzDate: utc,
            // One hour or a few: half an hour of room on each side instead of uPlot's automatic years.
            scales: {
              x: { range: (_u, min, max) => [min - 1800, max + 1800] },
              y: { range: (_u, _min, max) => [0, Math.max(1, Math.ceil(max * 1.1))] },
            },
            axes: [axis, { ...axis, label: "seconds" }],
            series: [
              { label: "hour (UTC)", value: (_u, v) => (v === null ? "–" : when(v * 1000)) },
              { label: "TTFF p50", stroke: "#ffd166", points: pts },
              { label: "TTFF p95", stroke: "#ef8a62", dash: [4, 4], points: pts },
              { label: "latency p50", stroke: "#67a9cf", points: pts },
              { label: "latency p95", stroke: "#2166ac", dash: [4, 4], points: pts },
            ],
          },
          qdata,
          qoeBox,
        );
      } else qplot.setData(qdata);
      // Explicit bounds: uPlot's automatic range of a single hour spans years.
      const ts = qdata[0] as number[];
      qplot.setScale("x", { min: ts[0] - 1800, max: ts[ts.length - 1] + 1800 });
    }
    stats.rendered++;
    stats.points = x.length;
    const sm = r.summary;
    const q = r.qoe;
    const dl = el("dl", "", "facts");
    const fact = (k: string, v: string) => dl.append(el("dt", k), el("dd", v));
    fact("Peak concurrent viewers", String(sm.peak));
    if (sm.unique !== null) fact("Unique viewers", String(sm.unique));
    fact("Total watch time", dur(sm.watchSeconds));
    if (sm.avgViewSeconds !== null) fact("Average view", dur(sm.avgViewSeconds));
    if (scope !== "server") fact("Broadcasts", String(sm.broadcasts));
    if (q && q.beacons) {
      fact("Time to first frame p50 / p95", `${ms(q.ttffMs.p50)} / ${ms(q.ttffMs.p95)}`);
      fact("Live latency p50 / p95", `${ms(q.latencyMs.p50)} / ${ms(q.latencyMs.p95)}`);
      fact(
        "Rebuffering",
        `${q.rebufferCount} times, ${
          q.rebufferRatio === null ? "–" : (q.rebufferRatio * 100).toFixed(2) + " %"
        }`,
      );
      fact("Fatal player errors", String(q.fatalErrors));
    }
    summary.replaceChildren(dl);
    if (scope === "server") return table.replaceChildren();
    if (!r.broadcasts.length) return table.replaceChildren(el("p", "No broadcast in this window.", "muted"));
    const t = el("table", "", "grid");
    t.tabIndex = 0; // scrolls by itself on a phone: reachable by keyboard (WCAG 2.1.1)
    const tr = (cells: string[], tag: "th" | "td") => {
      const row = el("tr");
      for (const c of cells) row.append(el(tag, c));
      return row;
    };
    t.append(tr([
      "Start (UTC)",
      "Duration",
      "Publisher",
      "Resolution",
      "Bitrate avg / low",
      "Peak",
      "Unique",
      "Watch time",
      "Avg view",
      "WebRTC / LL-HLS / share",
      "TTFF p50 / p95",
      "Latency p50",
      "Rebuffers",
    ], "th"));
    for (const b of [...r.broadcasts].reverse()) {
      t.append(tr([
        when(b.start) + (b.live ? " (live)" : ""),
        dur(b.durationSeconds),
        `${b.protocol} ${b.codecs.join(" ")}`,
        b.resolution ?? "–",
        `${kbps(b.bitrate.avg)} / ${kbps(b.bitrate.min)}`,
        String(b.peak),
        String(b.unique),
        dur(b.watchSeconds),
        dur(b.avgViewSeconds),
        `${b.delivery.webrtc.unique} / ${b.delivery.hls.unique} / ${b.delivery.share.unique}`,
        `${ms(b.qoe.ttffMs.p50)} / ${ms(b.qoe.ttffMs.p95)}`,
        ms(b.qoe.latencyMs.p50),
        String(b.qoe.rebufferCount),
      ], "td"));
    }
    table.replaceChildren(t);
  }

  void load();
}

for (const root of document.querySelectorAll<HTMLElement>("[data-analytics]")) panel(root);

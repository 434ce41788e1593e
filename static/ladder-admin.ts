// The dashboard's quality-ladder card on a stream page (src/ladder/): turn the ladder on or off, pick rungs
// from the presets or edit heights and bitrates, choose the encoder (x264, or a hardware encoder ffmpeg
// reports), record the rungs too (recordRungs, while the stream is recorded), and see the running ladder: state, encoder speed, a "cannot keep up" warning, rungs skipped
// because they are above the source, and why ffmpeg last ended. Saves with PATCH /api/streams/<path>
// {"ladder": ...}; reads GET /api/streams/<path>/ladder every 3 s. Built with DOM calls only (no HTML
// strings), inserted after the page's Live card.
import { el } from "./dom.ts";

interface Rung {
  height: number;
  kbps: number;
}
interface LadderView {
  ladder: { enabled: boolean; rungs: Rung[]; encoder: string; recordRungs?: boolean };
  status: {
    state: string;
    rungs: Rung[];
    skipped: Rung[];
    source: { codec: string; width: number; height: number } | null;
    encoder: string | null;
    speed: number | null;
    slow: boolean;
    restarts: number;
    error: string;
    note: string;
  };
  presets: Record<string, Rung>;
  maxRungs: number;
  encoders: { listed: string[]; usable: string[] };
}

const liveEl = document.getElementById("live");
const path = liveEl?.dataset.path;
const csrf = document.body.dataset.csrf ?? "";

async function api(method: string, body?: unknown): Promise<LadderView> {
  const url = method === "GET" ? `/api/streams/${path}/ladder` : `/api/streams/${path}`;
  const res = await fetch(url, {
    method,
    credentials: "same-origin",
    cache: "no-store",
    headers: { "content-type": "application/json", "x-csrf-token": csrf },
    body: body === undefined ? undefined : JSON.stringify({ ladder: body }),
  });
  const data = await res.json().catch(() => ({}));
  if (!res.ok) throw new Error(String(data.error ?? `HTTP ${res.status}`));
  return data as LadderView;
}

function statusText(v: LadderView): { text: string; warn: boolean } {
  const s = v.status;
  if (!v.ladder.enabled) return { text: "Off.", warn: false };
  if (s.state === "off") return { text: "On; starts when the stream goes live.", warn: false };
  const parts = [
    `${s.state}`,
    s.source ? `source ${s.source.width}x${s.source.height} ${s.source.codec}` : "",
    s.rungs.length ? `encoding ${s.rungs.map((r) => `${r.height}p`).join(", ")} with ${s.encoder}` : "",
    s.speed !== null ? `speed ${s.speed.toFixed(2)}x` : "",
    s.restarts ? `${s.restarts} restart(s)` : "",
  ].filter(Boolean);
  let text = parts.join(" · ");
  if (s.slow) {
    text +=
      ". The encoder cannot keep up (slower than real time): use fewer or lower rungs, or a hardware encoder.";
  }
  if (s.note) text += `. ${s.note}`;
  if (s.error && s.state !== "running") text += `. Last end: ${s.error}`;
  return { text, warn: s.slow || (!!s.error && s.state !== "running") };
}

function render(card: HTMLElement, v: LadderView) {
  const enabled = el("input", { type: "checkbox", checked: v.ladder.enabled, name: "enabled" });
  const rows = el("div", { className: "ladder-rungs" });
  const addRow = (r: Rung) => {
    const h = el("input", { type: "number", value: String(r.height), min: "144", max: "2160", step: "2" });
    const b = el("input", { type: "number", value: String(r.kbps), min: "50", max: "50000" });
    h.dataset.field = "height";
    b.dataset.field = "kbps";
    const del = el("button", { type: "button", className: "link", textContent: "Remove" });
    const row = el(
      "div",
      { className: "ladder-rung" },
      el("label", {}, "Height ", h, " p"),
      " ",
      el("label", {}, "Bitrate ", b, " kbit/s"),
      " ",
      del,
    );
    del.addEventListener("click", () => row.remove());
    rows.append(row);
  };
  for (const r of v.ladder.rungs) addRow(r);
  const preset = el("select", {}, el("option", { value: "", textContent: "Add a preset rung…" }));
  preset.setAttribute("aria-label", "Add a preset rung");
  for (const [name, r] of Object.entries(v.presets)) {
    preset.append(el("option", { value: name, textContent: `${name} · ${r.kbps} kbit/s` }));
  }
  preset.addEventListener("change", () => {
    const r = v.presets[preset.value];
    if (r) addRow({ ...r });
    preset.value = "";
  });
  const encoder = el("select", { name: "encoder" });
  for (const e of ["x264", "auto", "vaapi", "nvenc", "qsv"]) {
    const usable = e === "x264" || e === "auto" || v.encoders.usable.includes(e);
    encoder.append(
      el("option", {
        value: e,
        textContent: usable ? e : `${e} (not found)`,
        selected: v.ladder.encoder === e,
      }),
    );
  }
  const recordRungs = el("input", {
    type: "checkbox",
    checked: v.ladder.recordRungs === true,
    name: "recordRungs",
  });
  const msg = el("p", { className: "msg" });
  msg.setAttribute("role", "status");
  const state = el("p", { id: "ladder-status" });
  const save = el("button", { type: "submit", textContent: "Save ladder" });
  const form = el(
    "form",
    { className: "grid-form" },
    el("label", {}, enabled, " Quality ladder on (the source stays the top rung, never re-encoded)"),
    rows,
    preset,
    el("label", {}, "Encoder ", encoder),
    el(
      "label",
      {},
      recordRungs,
      " Record the rungs too (when this stream is recorded)",
    ),
    save,
    msg,
  );
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    msg.className = "msg";
    msg.textContent = "…";
    const rungs = [...rows.querySelectorAll<HTMLElement>(".ladder-rung")].map((row) => ({
      height: Number(row.querySelector<HTMLInputElement>("[data-field=height]")!.value),
      kbps: Number(row.querySelector<HTMLInputElement>("[data-field=kbps]")!.value),
    }));
    try {
      const nv = await api("PATCH", {
        enabled: enabled.checked,
        rungs,
        encoder: encoder.value,
        recordRungs: recordRungs.checked,
      });
      msg.textContent = "Saved.";
      showStatus(state, nv);
    } catch (err) {
      msg.className = "msg error";
      msg.textContent = (err as Error).message;
    }
  });
  card.replaceChildren(el("h1", { textContent: "Quality ladder" }), form, state);
  showStatus(state, v);
}

function showStatus(state: HTMLElement, v: LadderView) {
  const s = statusText(v);
  state.textContent = s.text;
  state.className = s.warn ? "msg error" : "muted";
  state.dataset.state = v.status.state;
  state.dataset.slow = v.status.slow ? "1" : "0";
}

if (path && liveEl) {
  const card = el(
    "section",
    { className: "card", id: "ladder" },
    el("h1", { textContent: "Quality ladder" }),
  );
  liveEl.closest("section")?.after(card);
  api("GET").then((v) => {
    render(card, v);
    setInterval(async () => {
      const state = document.getElementById("ladder-status");
      if (state) showStatus(state, await api("GET").catch(() => v));
    }, 3000);
  }, (err) => card.append(el("p", { className: "msg error", textContent: (err as Error).message })));
}

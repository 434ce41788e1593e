// The dashboard's Source card (src/web/admin-pages.ts): shows the stream's pulled source (masked URL, on
// demand or always on) and its state from GET /api/streams/<path>/source every 3 s, and sends changes with
// PATCH /api/streams/<path> (CSRF header). An empty URL field keeps the stored URL (its credentials are never
// sent back to the page), so "on demand" can be switched without typing the password again. Also fills the
// Embed card (the iframe snippet and the allowed origins) from GET /api/streams/<path>.
const card = document.getElementById("source");
const csrf = document.body.dataset.csrf ?? "";

interface SourceView {
  url: string;
  onDemand: boolean;
  state: string;
  reason: string;
  retrying: boolean;
}

if (card) {
  const path = card.dataset.path ?? "";
  const api = `/api/streams/${encodeURIComponent(path)}`;
  const form = document.getElementById("source-form") as HTMLFormElement;
  const urlIn = form.elements.namedItem("source") as HTMLInputElement;
  const od = form.elements.namedItem("sourceOnDemand") as HTMLInputElement;
  const msg = form.querySelector(".msg")!;
  const stateEl = document.getElementById("source-state")!;
  const reasonEl = document.getElementById("source-reason")!;
  const removeBtn = document.getElementById("source-remove") as HTMLButtonElement;
  let current: SourceView | null = null;
  let touched = false;
  od.addEventListener("change", () => touched = true);

  const show = (s: SourceView | null) => {
    current = s;
    removeBtn.classList.toggle("hidden", !s);
    urlIn.placeholder = s ? `${s.url} (leave empty to keep)` : "rtsp://user:pass@192.168.1.20:554/stream1";
    if (!touched) od.checked = !!s?.onDemand;
    stateEl.textContent = s ? s.state : "none (published)";
    stateEl.className = `badge ${s?.state === "live" ? "live" : ""}`;
    reasonEl.textContent = s ? `${s.reason}${s.retrying ? " — retrying" : ""}` : "";
  };

  const refresh = async () => {
    try {
      const res = await fetch(`${api}/source`, { credentials: "same-origin", cache: "no-store" });
      if (res.status === 404) return show(null);
      if (res.ok) show((await res.json()).source as SourceView);
      else await res.body?.cancel();
    } catch { /* next time */ }
  };

  const send = async (body: Record<string, unknown>) => {
    msg.textContent = "…";
    const res = await fetch(api, {
      method: "PATCH",
      credentials: "same-origin",
      headers: { "content-type": "application/json", "x-csrf-token": csrf },
      body: JSON.stringify(body),
    });
    const data = await res.json().catch(() => ({}));
    if (!res.ok) {
      msg.textContent = String(data.error ?? `HTTP ${res.status}`);
      return;
    }
    msg.textContent = data.sourceApplied === false ? "Saved; applied when MediaMTX is back." : "Saved.";
    urlIn.value = "";
    touched = false;
    show(data.source ?? null);
  };

  form.addEventListener("submit", (e) => {
    e.preventDefault();
    const url = urlIn.value.trim();
    if (!url && !current) {
      msg.textContent = "Enter a source URL.";
      return;
    }
    send(url ? { source: url, sourceOnDemand: od.checked } : { sourceOnDemand: od.checked });
  });
  removeBtn.addEventListener("click", () => {
    if (confirm(`Stop pulling ${path} from its source?`)) send({ source: null });
  });
  refresh();
  setInterval(refresh, 3000);
  // The Embed card: the allowed sites are sent with PATCH (embedOrigins).
  const embedForm = document.getElementById("embed-form") as HTMLFormElement | null;
  embedForm?.addEventListener("submit", async (e) => {
    e.preventDefault();
    const out = embedForm.querySelector(".msg")!;
    const input = embedForm.elements.namedItem("embedOrigins") as HTMLInputElement;
    out.textContent = "…";
    const res = await fetch(api, {
      method: "PATCH",
      credentials: "same-origin",
      headers: { "content-type": "application/json", "x-csrf-token": csrf },
      body: JSON.stringify({ embedOrigins: input.value.split(/[\s,]+/).filter(Boolean) }),
    });
    const data = await res.json().catch(() => ({}));
    out.textContent = res.ok ? "Saved." : String(data.error ?? `HTTP ${res.status}`);
    if (res.ok) input.value = (data.embedOrigins ?? []).join(", ");
  });
  // The snippet to copy and the allowed origins, from the stream's API answer.
  fetch(api, { credentials: "same-origin" }).then((r) => r.ok ? r.json() : null).then((b) => {
    const snippet = document.getElementById("embed-snippet");
    const origins = document.getElementById("embed-origins") as HTMLInputElement | null;
    if (snippet && typeof b?.embed === "string") snippet.textContent = b.embed;
    if (origins && Array.isArray(b?.embedOrigins)) origins.value = b.embedOrigins.join(", ");
  }, () => {});
}

// Home page: refreshes the stream list (live state, viewer counts) from /api/live without a reload.
interface Row {
  path: string;
  title: string;
  visibility: string;
  live: boolean;
  viewers: number;
}

const list = document.getElementById("streams")!;
const empty = document.getElementById("empty")!;
const down = document.getElementById("mtxdown")!;

function el(tag: string, cls: string, text: string): HTMLElement {
  const e = document.createElement(tag);
  if (cls) e.className = cls;
  e.textContent = text;
  return e;
}

function render(rows: Row[]) {
  const items = rows.map((s) => {
    const li = document.createElement("li");
    li.dataset.path = s.path;
    const a = document.createElement("a");
    a.href = `/watch/${encodeURIComponent(s.path)}`;
    a.textContent = s.title || s.path;
    li.append(a);
    if (s.title) li.append(el("span", "muted", s.path));
    li.append(el("span", `badge ${s.live ? "live" : ""}`, s.live ? "LIVE" : "offline"));
    if (s.live) li.append(el("span", "viewers", `${s.viewers} watching`));
    if (s.visibility !== "private") li.append(el("span", "badge vis", s.visibility));
    return li;
  });
  list.replaceChildren(...items);
  empty.classList.toggle("hidden", rows.length > 0);
}

async function refresh() {
  try {
    const res = await fetch("/api/live", { cache: "no-store", credentials: "same-origin" });
    if (!res.ok) return;
    const body = await res.json() as { streams: Row[]; mtxDown: boolean };
    render(body.streams);
    down.classList.toggle("hidden", !body.mtxDown);
  } catch { /* offline: keep the last list */ }
}

setInterval(refresh, 4000);
refresh();

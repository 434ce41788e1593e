// Thumbnails on the home page and the dashboard (issue #22): every stream row (an element with
// data-path inside #streams or #streams-table) gets the stream's still, /thumbs/<path>.jpg, refreshed every
// 10 s. Rows re-rendered by home.ts are decorated again (MutationObserver). A stream without a still (never
// live yet, or not allowed) shows no picture.
const REFRESH_MS = 10_000;
let round = Date.now();

function decorate(row: HTMLElement) {
  const path = row.dataset.path;
  if (!path || row.querySelector(":scope img.thumb, :scope > td img.thumb")) return;
  const img = document.createElement("img");
  img.className = "thumb";
  img.alt = "";
  img.width = 96;
  img.height = 54;
  img.loading = "lazy";
  img.addEventListener("error", () => img.classList.add("hidden"));
  img.addEventListener("load", () => img.classList.remove("hidden"));
  img.src = `/thumbs/${encodeURIComponent(path)}.jpg?r=${round}`;
  const host = row.tagName === "TR" ? row.querySelector("td") ?? row : row;
  host.prepend(img);
}

function decorateAll() {
  for (const sel of ["#streams [data-path]", "#streams-table [data-path]"]) {
    document.querySelectorAll<HTMLElement>(sel).forEach(decorate);
  }
}

for (const id of ["streams", "streams-table"]) {
  const el = document.getElementById(id);
  if (el) new MutationObserver(decorateAll).observe(el, { childList: true, subtree: true });
}
decorateAll();
setInterval(() => {
  round = Date.now();
  document.querySelectorAll<HTMLImageElement>("img.thumb").forEach((img) => {
    img.src = img.src.replace(/\?r=\d+$/, `?r=${round}`);
  });
}, REFRESH_MS);

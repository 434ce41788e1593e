// Dashboard behaviour: forms and buttons marked data-api are sent to the JSON API (with the CSRF header);
// secrets returned once (keys, passwords, share URLs) are shown in place; the live panel of a stream page
// is refreshed every few seconds (publisher, codecs, bitrate, viewers, with a revoke button per session).
const csrf = document.body.dataset.csrf ?? "";

async function call(url: string, method: string, body?: unknown): Promise<Record<string, unknown>> {
  const res = await fetch(url, {
    method,
    credentials: "same-origin",
    headers: { "content-type": "application/json", "x-csrf-token": csrf },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const data = await res.json().catch(() => ({})) as Record<string, unknown>;
  if (!res.ok) throw new Error(String(data.error ?? `HTTP ${res.status}`));
  return data;
}

function formBody(form: HTMLFormElement): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const el of Array.from(form.elements)) {
    const input = el as HTMLInputElement;
    if (!input.name) continue;
    if (input.type === "checkbox") out[input.name] = input.checked;
    else if (input.dataset.type === "number") out[input.name] = Number(input.value);
    else if (input.dataset.type === "list") out[input.name] = input.value.split(/[\s,]+/).filter(Boolean);
    else if (input.name === "version" && !input.value) continue;
    else out[input.name] = input.value;
  }
  return out;
}

/** One labelled value with a Copy button. */
function copyField(label: string, value: string): HTMLElement {
  const line = document.createElement("div");
  const code = document.createElement("code");
  code.textContent = value;
  const btn = document.createElement("button");
  btn.type = "button";
  btn.className = "link";
  btn.textContent = "Copy";
  btn.setAttribute("aria-label", `Copy ${label}`);
  btn.addEventListener("click", async () => {
    try {
      await navigator.clipboard.writeText(value);
      btn.textContent = "Copied";
    } catch {
      btn.textContent = "Select and copy by hand";
    }
  });
  line.append(`${label}: `, code, " ", btn);
  return line;
}

/** The "Connect OBS" fields of a new key (Server and Stream Key, and the WHIP variant), with Copy buttons. */
function connectLines(connect: unknown): HTMLElement[] {
  const c = connect as
    | { obs?: { server: string; streamKey: string }; whip?: { server: string; bearerToken: string } }
    | undefined;
  if (!c?.obs || !c.whip) return [];
  const head = (t: string) => {
    const p = document.createElement("p");
    p.textContent = t;
    return p;
  };
  return [
    head("OBS: Settings → Stream → Service “Custom…”"),
    copyField("Server", c.obs.server),
    copyField("Stream Key", c.obs.streamKey),
    head("For sub-second latency: Service “WHIP”"),
    copyField("WHIP Server", c.whip.server),
    copyField("Bearer Token", c.whip.bearerToken),
  ];
}

for (const form of Array.from(document.querySelectorAll<HTMLFormElement>("form[data-api]"))) {
  const msg = form.querySelector(".msg");
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    if (msg) msg.textContent = "…";
    try {
      const data = await call(form.dataset.api!, form.dataset.method ?? "POST", formBody(form));
      const show = (form.dataset.show ?? "").split(" ").filter((k) => data[k] !== undefined);
      if (show.length && msg) {
        msg.className = "msg secret";
        msg.replaceChildren(
          ...show.flatMap((k) => {
            const line = document.createElement("div");
            const code = document.createElement("code");
            code.textContent = String(data[k]);
            line.append(`${k}: `, code);
            return [line];
          }),
          ...connectLines(data.connect),
          "Shown once. Reload the page to see the updated list.",
        );
        return;
      }
      // An answer with a message (e.g. "Password changed") is shown in place; the form is emptied.
      if (typeof data.message === "string" && msg) {
        msg.className = "msg ok";
        msg.textContent = data.message;
        form.reset();
        return;
      }
      location.reload();
    } catch (err) {
      if (msg) {
        msg.className = "msg error";
        msg.textContent = (err as Error).message;
      }
    }
  });
}

// Tables scroll inside themselves on a phone (app.css): each is reachable by keyboard to scroll it.
for (const t of Array.from(document.querySelectorAll<HTMLTableElement>("table.grid"))) {
  if (!t.hasAttribute("tabindex")) t.tabIndex = 0;
}

// Times the server wrote in UTC (<time datetime>) are shown in the viewer's local time.
for (const t of Array.from(document.querySelectorAll<HTMLTimeElement>("time[datetime]"))) {
  const d = new Date(t.dateTime);
  if (!Number.isNaN(d.getTime())) {
    t.textContent = d.toLocaleString(undefined, { dateStyle: "medium", timeStyle: "short" });
  }
}

/** An error shown next to the button that caused it (instead of an alert box). */
function buttonError(btn: HTMLElement, text: string) {
  let el = btn.nextElementSibling as HTMLElement | null;
  if (!el?.classList.contains("btn-msg")) {
    el = document.createElement("span");
    el.className = "msg error btn-msg";
    el.setAttribute("role", "alert");
    btn.after(el);
  }
  el.textContent = ` ${text}`;
}

document.addEventListener("click", async (e) => {
  const btn = (e.target as HTMLElement).closest<HTMLButtonElement>("button[data-api]");
  if (!btn) return;
  if (btn.dataset.confirm && !confirm(btn.dataset.confirm)) return;
  try {
    await call(btn.dataset.api!, btn.dataset.method ?? "POST");
    if (btn.dataset.redirect) location.href = btn.dataset.redirect;
    else location.reload();
  } catch (err) {
    buttonError(btn, (err as Error).message);
  }
});

// Live panel on a stream page.
const live = document.getElementById("live");
/** A viewer as /api/streams/<path>/live reports it: id and ip only for admins. */
interface Viewer {
  id?: string;
  kind: string;
  user: string | null;
  ip?: string;
  since: number;
}
interface LiveInfo {
  online: boolean;
  onlineSince: string | null;
  codecs: string[];
  bitrate: number | null;
  publisher: { protocol: string; remoteAddr: string | null } | null;
  readers: { type: string }[];
  viewers: Viewer[];
}

function cell(tr: HTMLTableRowElement, text: string) {
  const td = document.createElement("td");
  td.textContent = text;
  tr.append(td);
  return td;
}

function renderLive(el: HTMLElement, d: LiveInfo) {
  const p = document.createElement("p");
  if (!d.online) {
    p.innerHTML = '<span class="badge">offline</span>';
    el.replaceChildren(p);
    return;
  }
  const kbps = d.bitrate === null ? "–" : `${Math.round(d.bitrate / 1000)} kbit/s`;
  const badge = document.createElement("span");
  badge.className = "badge live";
  badge.textContent = "LIVE";
  p.append(
    badge,
    ` since ${d.onlineSince ? new Date(d.onlineSince).toLocaleTimeString() : "?"} · ${
      d.publisher?.protocol ?? "?"
    } from ${d.publisher?.remoteAddr ?? "?"} · ` +
      `${d.codecs.join(", ")} · ${kbps} · ${d.viewers.length} viewer(s) via livegate, ` +
      `${d.readers.filter((r) => r.type !== "hlsSession").length} direct reader(s)`,
  );
  const table = document.createElement("table");
  table.className = "grid";
  table.tabIndex = 0; // scrolls by itself on a phone: reachable by keyboard
  table.setAttribute("aria-label", "Viewers");
  // Viewers' addresses and session ids come only to admins (the API leaves them out for owners).
  const admin = !!el.dataset.admin;
  table.innerHTML = `<thead><tr><th>Viewer</th><th>Kind</th>${
    admin ? "<th>IP</th>" : ""
  }<th>Watching since</th><th></th></tr></thead>`;
  const tb = document.createElement("tbody");
  for (const v of d.viewers) {
    const tr = document.createElement("tr");
    cell(tr, v.user ?? "(anonymous)");
    cell(tr, v.kind);
    if (admin) cell(tr, v.ip ?? "");
    cell(tr, new Date(v.since).toLocaleTimeString());
    const td = cell(tr, "");
    if (v.kind === "session" && admin && v.id) {
      const b = document.createElement("button");
      b.className = "link";
      b.textContent = "Revoke session";
      b.dataset.api = `/api/sessions/${v.id}`;
      b.dataset.method = "DELETE";
      b.dataset.confirm = `End ${v.user}'s login session?`;
      td.append(b);
    }
    tb.append(tr);
  }
  table.append(tb);
  el.replaceChildren(p, table);
}

if (live) {
  const path = live.dataset.path!;
  const tick = async () => {
    try {
      const res = await fetch(`/api/streams/${encodeURIComponent(path)}/live`, { cache: "no-store" });
      const d = await res.json();
      if (res.ok) renderLive(live, d as LiveInfo);
      else live.textContent = String(d.error ?? res.status);
    } catch { /* keep the last state */ }
  };
  tick();
  setInterval(tick, 3000);
}

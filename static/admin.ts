// Dashboard behaviour: forms and buttons marked data-api are sent to the JSON API (with the CSRF header);
// secrets returned once (keys, passwords, share URLs) are shown in place; the live panel of a stream page
// is refreshed every few seconds (publisher, codecs, bitrate, viewers, with a revoke button per session).
import { apiCall } from "./dom.ts";
const csrf = document.body.dataset.csrf ?? "";

const call = (url: string, method: string, body?: unknown) => apiCall(csrf, url, method, body);

function formBody(form: HTMLFormElement): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const el of Array.from(form.elements)) {
    const input = el as HTMLInputElement;
    if (!input.name) continue;
    if (input.type === "radio") {
      if (input.checked) out[input.name] = input.value;
    } else if (input.type === "checkbox") out[input.name] = input.checked;
    else if (input.dataset.type === "number") out[input.name] = Number(input.value);
    else if (input.dataset.type === "bool") out[input.name] = input.value === "true";
    // A choice of true / false / "" (the server's setting: null).
    else if (input.dataset.type === "choice") {
      out[input.name] = input.value === "" ? null : input.value === "true";
    } else if (input.dataset.type === "list") out[input.name] = input.value.split(/[\s,]+/).filter(Boolean);
    else if (input.name === "version" && !input.value) continue;
    else out[input.name] = input.value;
  }
  return out;
}

async function copyText(btn: HTMLElement, value: string) {
  try {
    await navigator.clipboard.writeText(value);
    btn.textContent = "Copied";
  } catch {
    btn.textContent = "Select and copy by hand";
  }
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
  btn.addEventListener("click", () => copyText(btn, value));
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

/** A new row in a list on the page, from what the API answered (no reload: the list updates in place). */
function addRow(tableId: string, data: Record<string, unknown>, form: HTMLFormElement) {
  const body = document.querySelector<HTMLTableSectionElement>(`#${tableId} tbody`);
  if (!body) return;
  const tr = document.createElement("tr");
  const td = (text: string) => {
    const c = document.createElement("td");
    c.textContent = text;
    tr.append(c);
    return c;
  };
  const revoke = (api: string, label: string) => {
    const b = document.createElement("button");
    b.className = "link";
    b.textContent = "Revoke";
    b.dataset.api = api;
    b.dataset.method = "DELETE";
    b.dataset.removeRow = "";
    b.setAttribute("aria-label", `Revoke ${label}`);
    td("").append(b);
  };
  const now = new Date().toLocaleString(undefined, { dateStyle: "medium", timeStyle: "short" });
  const meta = data.meta as { id: string; name: string; owner?: string } | undefined;
  const share = data.share as { id: string; label: string; createdBy: string; expiresAt: number } | undefined;
  if (tableId === "keys-table" && meta) {
    for (const id of (data.revoked as string[] | undefined) ?? []) {
      document.querySelector(`#keys-table tr[data-key="${CSS.escape(id)}"]`)?.remove();
    }
    tr.dataset.key = meta.id;
    td(meta.name).title = `id ${meta.id}`;
    td(meta.owner ?? "");
    td(now);
    td("never");
    revoke(`${form.dataset.api}/${meta.id}`, `key ${meta.name}`);
  } else if (tableId === "shares-table" && share) {
    td(share.label || "(no label)").title = `id ${share.id}`;
    td(share.createdBy);
    td(new Date(share.expiresAt).toLocaleString(undefined, { dateStyle: "medium", timeStyle: "short" }));
    revoke(`${form.dataset.api}/${share.id}`, `the share link ${share.label || share.id}`);
  } else return;
  tr.classList.add("new");
  body.append(tr);
}

for (const form of Array.from(document.querySelectorAll<HTMLFormElement>("form[data-api]"))) {
  const msg = form.querySelector(".msg");
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    if (form.dataset.confirm && !confirm(form.dataset.confirm)) return;
    const button = form.querySelector<HTMLButtonElement>("button[type=submit]");
    if (msg) {
      msg.className = "msg";
      msg.textContent = "…";
    }
    if (button) button.disabled = true;
    try {
      const data = await call(form.dataset.api!, form.dataset.method ?? "POST", formBody(form));
      if (form.dataset.addRow) addRow(form.dataset.addRow, data, form);
      const show = (form.dataset.show ?? "").split(" ").filter((k) => k && data[k] !== undefined);
      if ((show.length || data.connect) && msg) {
        msg.className = "msg secret";
        msg.replaceChildren(
          ...show.flatMap((k) => {
            const v = String(data[k]);
            return [
              k === form.dataset.copy ? copyField(k === "url" ? "Share link" : k, v) : (() => {
                const line = document.createElement("div");
                const code = document.createElement("code");
                code.textContent = v;
                line.append(`${k}: `, code);
                return line;
              })(),
            ];
          }),
          ...connectLines(data.connect),
          form.dataset.addRow
            ? "Shown once: copy it now."
            : "Shown once. Reload the page to see the updated list.",
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
      // Saved settings: say so; reload only when the page's other parts depend on them.
      if (form.dataset.saved && msg) {
        const version = form.querySelector<HTMLInputElement>("input[name=version]");
        if (version && typeof data.version === "string") version.value = data.version;
        msg.className = "msg ok";
        const revoked = Number(data.revokedShares ?? 0);
        msg.textContent = form.dataset.saved + (revoked ? ` ${revoked} share link(s) ended.` : "");
        if (revoked || changedVisibility(form, data)) setTimeout(() => location.reload(), 800);
        return;
      }
      location.reload();
    } catch (err) {
      if (msg) {
        msg.className = "msg error";
        msg.textContent = (err as Error).message;
      }
    } finally {
      if (button) button.disabled = false;
    }
  });
}

/** Whether a saved stream's visibility differs from the one the page was made for (its Share part). */
function changedVisibility(form: HTMLFormElement, data: Record<string, unknown>): boolean {
  const checked = form.querySelector<HTMLInputElement>("input[name=visibility][checked]");
  const now = (data.stream as { visibility?: string } | undefined)?.visibility;
  return !!checked && !!now && checked.value !== now;
}

// Copy buttons for values printed on the page (watch link, OBS Server).
for (const b of Array.from(document.querySelectorAll<HTMLButtonElement>("button[data-copy-text]"))) {
  b.addEventListener("click", () => copyText(b, b.dataset.copyText!));
}

// Tables scroll inside themselves on a phone (app.css): each is reachable by keyboard to scroll it, also
// the ones the page's panels add later (restream, analytics, clips).
const focusTables = () => {
  for (const t of Array.from(document.querySelectorAll<HTMLTableElement>("table.grid"))) {
    if (!t.hasAttribute("tabindex")) t.tabIndex = 0;
  }
};
focusTables();
new MutationObserver(focusTables).observe(document.body, { childList: true, subtree: true });

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
    btn.disabled = true;
    await call(btn.dataset.api!, btn.dataset.method ?? "POST");
    if (btn.dataset.redirect) location.href = btn.dataset.redirect;
    else if (btn.dataset.removeRow !== undefined && btn.closest("tr")) btn.closest("tr")!.remove();
    else location.reload();
  } catch (err) {
    btn.disabled = false;
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
  // Kicking needs someone to kick.
  const kick = document.getElementById("kick") as HTMLButtonElement | null;
  if (kick) {
    kick.disabled = !d.online;
    kick.title = d.online ? "" : "Nobody is publishing";
  }
  // The badge at the top of the page (the Live card is far down on a phone).
  const top = document.getElementById("live-badge");
  if (top) {
    top.textContent = d.online ? `LIVE · ${d.viewers.length} watching` : "offline";
    top.classList.toggle("live", d.online);
  }
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
  // Advice for the streamer (viewers only get a short note): what keeps WebRTC's sub-second latency away.
  const advice = document.createElement("p");
  advice.className = "note";
  const audio = d.codecs.find((c) => /audio|opus|aac|g71|g722|lpcm|mp3/i.test(c));
  if (audio && !/opus|g71|g722|lpcm/i.test(audio)) {
    advice.textContent = `Viewers get LL-HLS (about 1 s behind) because the audio is ${audio}: WebRTC ` +
      "(well under a second) carries Opus. Publish with OBS's WHIP output or “Go live from the browser”, or " +
      "ffmpeg -c:a libopus over RTSP/SRT, to give viewers sub-second latency with sound.";
  }
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
  el.replaceChildren(p, ...(advice.textContent ? [advice] : []), table);
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

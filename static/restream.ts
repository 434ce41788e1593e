// The Restream panel of a stream's admin page (#restream): its destinations with their health (state,
// bitrate, uptime, reconnects, last error) refreshed every 2 s from /api/streams/<path>/destinations, a
// form to add one (name, URL, key, and for a self-signed rtmps:// server the explicit "do not verify its
// certificate"), and per destination Enable/Disable, Retry (when failed), Change key and Delete. Keys are
// write-only here: the API only ever answers their mask. What livegate does to the stream for a destination
// (e.g. WHIP: audio encoded to Opus) is shown under its URL.
import { apiCall, el } from "./dom.ts";
const root = document.getElementById("restream");
const csrf = document.body.dataset.csrf ?? "";

interface Status {
  state: string;
  bitrate: number | null;
  uptimeSeconds: number | null;
  reconnects: number;
  lastError: string | null;
  note?: string | null;
}
interface Dest {
  id: string;
  name: string;
  kind: string;
  url: string;
  key: string;
  enabled: boolean;
  tlsVerify?: boolean;
  status: Status;
}

const call = (url: string, method: string, body?: unknown) => apiCall(csrf, url, method, body);

const rate = (b: number | null) =>
  b === null ? "" : b >= 1e6 ? `${(b / 1e6).toFixed(1)} Mbit/s` : `${Math.round(b / 1000)} kbit/s`;
const dur = (s: number | null) =>
  s === null
    ? ""
    : s >= 3600
    ? `${Math.floor(s / 3600)} h ${Math.floor(s % 3600 / 60)} min`
    : s >= 60
    ? `${Math.floor(s / 60)} min ${s % 60} s`
    : `${s} s`;

if (root) {
  const api = `/api/streams/${root.dataset.path}/destinations`;
  const table = el("table", { className: "grid" });
  table.append(
    el(
      "thead",
      {},
      el(
        "tr",
        {},
        ...["Name", "URL", "Key", "State", "Bitrate", "Uptime", "Reconnects", "Last error", ""].map((h) =>
          el("th", {}, h)
        ),
      ),
    ),
  );
  const body = el("tbody");
  table.append(body);
  const msg = el("p", { className: "msg" });
  msg.setAttribute("role", "status");
  const say = (s: string) => msg.textContent = s;

  const button = (label: string, onClick: () => Promise<unknown>, danger = false) => {
    const b = el("button", { type: "button", className: "link", textContent: label });
    if (danger) b.style.color = "var(--accent)";
    b.addEventListener("click", () => onClick().then(refresh).catch((e) => say((e as Error).message)));
    return b;
  };

  const row = (d: Dest) => {
    const s = d.status;
    const state = el("span", {
      className: s.state === "live" ? "badge live" : "badge",
      textContent: s.state,
    });
    state.dataset.state = s.state;
    const tr = el(
      "tr",
      {},
      el("td", {}, d.name),
      el(
        "td",
        {},
        el("code", {}, d.url),
        ...(d.tlsVerify === false
          ? [el("br"), el("small", { className: "muted", textContent: "certificate not verified" })]
          : []),
        ...(s.note ? [el("br"), el("small", { className: "muted", textContent: s.note })] : []),
      ),
      el("td", {}, el("code", {}, d.key)),
      el("td", {}, d.enabled ? state : el("span", { className: "badge", textContent: "disabled" })),
      el("td", {}, rate(s.bitrate)),
      el("td", {}, dur(s.uptimeSeconds)),
      el("td", {}, String(s.reconnects)),
      el("td", {}, s.lastError ?? ""),
      el(
        "td",
        {},
        button(
          d.enabled ? "Disable" : "Enable",
          () => call(`${api}/${d.id}`, "PATCH", { enabled: !d.enabled }),
        ),
        " ",
        // A failed destination (wrong key, its user lost the stream...) is tried again after a change:
        // enabling it again is one (you now run it).
        ...(d.enabled && s.state === "failed"
          ? [button("Retry", () => call(`${api}/${d.id}`, "PATCH", { enabled: true })), " "]
          : []),
        button("Change key", async () => {
          const key = prompt(`New key for ${d.name}`);
          if (key) await call(`${api}/${d.id}`, "PATCH", { key });
        }),
        " ",
        button("Delete", async () => {
          if (confirm(`Delete destination ${d.name}?`)) await call(`${api}/${d.id}`, "DELETE");
        }, true),
      ),
    );
    tr.dataset.destination = d.id;
    return tr;
  };

  const refresh = async () => {
    const data = await call(api, "GET");
    const list = data.destinations as Dest[];
    body.replaceChildren(
      ...(list.length
        ? list.map(row)
        : [el("tr", {}, el("td", { colSpan: 9, className: "muted" }, "No destinations yet."))]),
    );
  };

  const form = el("form", { className: "grid-form" });
  form.append(
    el(
      "label",
      {},
      "Name ",
      el("input", { name: "name", required: true, maxLength: 64, placeholder: "YouTube" }),
    ),
    el(
      "label",
      {},
      "URL ",
      el("input", {
        name: "url",
        required: true,
        maxLength: 1024,
        placeholder: "rtmp://a.rtmp.youtube.com/live2, srt://host:port or a WHIP URL",
      }),
    ),
    el(
      "label",
      {},
      "Key ",
      el("input", {
        name: "key",
        type: "password",
        required: true,
        maxLength: 512,
        autocomplete: "off",
        placeholder: "stream key, SRT stream id or WHIP token",
      }),
    ),
    el(
      "label",
      {},
      el("input", { name: "noverify", type: "checkbox" }),
      " Do not verify the certificate (rtmps:// server with a self-signed one)",
    ),
    el("button", { type: "submit", textContent: "Add destination" }),
  );
  form.addEventListener("submit", (ev) => {
    ev.preventDefault();
    const f = new FormData(form);
    call(api, "POST", {
      name: f.get("name"),
      url: f.get("url"),
      key: f.get("key"),
      ...(f.get("noverify") ? { tlsVerify: false } : {}),
    })
      .then(() => {
        form.reset();
        say("Added.");
        return refresh();
      })
      .catch((e) => say((e as Error).message));
  });

  root.replaceChildren(table, form, msg);
  refresh().catch((e) => say((e as Error).message));
  setInterval(() => {
    if (!document.hidden) refresh().catch(() => {});
  }, 2000);
}

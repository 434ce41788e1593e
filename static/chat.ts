// The live chat panel beside the player (/watch/<path>, issue 16): connects to the WebSocket at
// /chat/<path>, shows the history and new messages, resumes after the last id seen when the connection
// drops (no gap, no duplicate), and offers moderators delete / time out / ban / slow mode / clear.
// Everything users wrote is put on the page with textContent; links become <a> elements built with the
// DOM (http/https only), never HTML.
type Msg = { id: number; uid: string; user: string; role: string; text: string; at: number };
type You = {
  user: string;
  uid: string;
  role: string;
  canWrite: boolean;
  writeReason: string | null;
  canModerate: boolean;
  canManage: boolean;
  guests: boolean;
};

const root = document.getElementById("chat");
const path = document.body.dataset.path ?? "";
if (root && path) start(root, path);

function el<K extends keyof HTMLElementTagNameMap>(tag: K, cls = "", text = ""): HTMLElementTagNameMap[K] {
  const e = document.createElement(tag);
  if (cls) e.className = cls;
  if (text) e.textContent = text;
  return e;
}

const URL_RE = /\bhttps?:\/\/[^\s<>"']+/g;

/** `text` as DOM nodes: text nodes, and http(s) links as anchors (href set only from a parsed URL). */
export function linkify(text: string): Node[] {
  const out: Node[] = [];
  let last = 0;
  for (const m of text.matchAll(URL_RE)) {
    let raw = m[0].replace(/[.,;:!?)\]]+$/, "");
    const i = m.index ?? 0;
    let href = "";
    try {
      const u = new URL(raw);
      if (u.protocol === "http:" || u.protocol === "https:") href = u.href;
    } catch { /* not a URL: stays text */ }
    if (!href) raw = "";
    if (!raw) continue;
    if (i > last) out.push(document.createTextNode(text.slice(last, i)));
    const a = el("a", "", raw);
    a.href = href;
    a.rel = "noopener noreferrer nofollow ugc";
    a.target = "_blank";
    out.push(a);
    last = i + raw.length;
  }
  if (last < text.length) out.push(document.createTextNode(text.slice(last)));
  return out;
}

function start(root: HTMLElement, path: string) {
  const head = el("div", "chat-head");
  const title = el("strong", "", "Chat");
  const viewers = el("span", "chat-viewers", "");
  viewers.id = "chat-viewers";
  head.append(title, viewers);
  const list = el("ol", "chat-list");
  list.id = "chat-list";
  list.setAttribute("aria-live", "polite");
  const status = el("p", "chat-status", "connecting…");
  status.id = "chat-status";
  const guestForm = el("form", "chat-guest hidden");
  const guestName = el("input");
  guestName.placeholder = "Your name (guest)";
  guestName.maxLength = 24;
  guestName.id = "chat-guest-name";
  guestForm.append(guestName, el("button", "", "Join"));
  const form = el("form", "chat-form");
  const input = el("input");
  input.id = "chat-input";
  input.maxLength = 500;
  input.placeholder = "Say something";
  input.autocomplete = "off";
  const sendBtn = el("button", "", "Send");
  sendBtn.id = "chat-send";
  form.append(input, sendBtn);
  const modBar = el("div", "chat-mod hidden");
  const slow = el("select");
  slow.id = "chat-slow";
  for (const s of [0, 5, 10, 30, 60]) {
    const o = el("option", "", s ? `slow: ${s} s` : "slow mode off");
    o.value = String(s);
    slow.append(o);
  }
  const clearBtn = el("button", "link", "Clear chat");
  clearBtn.type = "button";
  clearBtn.id = "chat-clear";
  const setBtn = el("button", "link", "Settings");
  setBtn.type = "button";
  setBtn.id = "chat-settings-open";
  modBar.append(slow, clearBtn, setBtn);
  const setForm = el("form", "chat-settings hidden");
  setForm.id = "chat-settings";
  const field = <T extends HTMLElement>(label: string, input: T) => {
    const l = el("label", "", label);
    l.append(input);
    setForm.append(l);
    return input;
  };
  const mods = field("Moderators (user names)", el("input"));
  mods.id = "chat-moderators";
  const guestsBox = el("input");
  guestsBox.type = "checkbox";
  guestsBox.id = "chat-guests";
  field("Guests may write under a name they choose", guestsBox);
  const words = field("Blocked words (one per line)", el("textarea"));
  words.id = "chat-words";
  words.rows = 3;
  const saveBtn = el("button", "", "Save");
  setForm.append(saveBtn);
  root.append(head, list, modBar, setForm, status, guestForm, form);
  const csrf = document.body.dataset.csrf ?? "";
  const api = `/api/chat/${encodeURIComponent(path)}`;
  setBtn.addEventListener("click", async () => {
    if (!setForm.classList.toggle("hidden")) {
      const r = await fetch(api);
      const j = await r.json();
      if (!r.ok) return say(j.error ?? `error ${r.status}`, true);
      mods.value = j.settings.moderators.join(", ");
      guestsBox.checked = j.settings.guests;
      words.value = j.settings.blockedWords.join("\n");
    }
  });
  setForm.addEventListener("submit", async (e) => {
    e.preventDefault();
    const body: Record<string, unknown> = { blockedWords: words.value };
    if (you?.canManage) Object.assign(body, { moderators: mods.value, guests: guestsBox.checked });
    const r = await fetch(api, {
      method: "PATCH",
      headers: { "content-type": "application/json", "x-csrf-token": csrf },
      body: JSON.stringify(body),
    });
    const j = await r.json();
    if (!r.ok) return say(j.error ?? `error ${r.status}`, true);
    setForm.classList.add("hidden");
    say("settings saved", false, true);
  });

  let ws: WebSocket | null = null;
  let lastId: number | null = null;
  let you: You | null = null;
  let retry = 500;
  const items = new Map<number, HTMLLIElement>();

  const send = (f: unknown) => ws?.readyState === WebSocket.OPEN && ws.send(JSON.stringify(f));
  /** A line under the chat; `keep`: an answer to the user (e.g. "settings saved") that a state update leaves. */
  const say = (text: string, error = false, keep = false) => {
    status.textContent = text;
    status.classList.toggle("error", error);
    if (keep) status.dataset.keep = "1";
    else delete status.dataset.keep;
  };

  function applyYou(y: You) {
    you = y;
    input.disabled = sendBtn.disabled = !y.canWrite;
    input.placeholder = y.canWrite
      ? (y.user ? `Say something as ${y.user}` : "Say something")
      : y.writeReason ?? "";
    guestForm.classList.toggle("hidden", !(y.guests && !y.canWrite && !y.user && y.role !== "moderator"));
    modBar.classList.toggle("hidden", !y.canModerate);
    mods.disabled = guestsBox.disabled = !y.canManage;
    root!.classList.toggle("moderator", y.canModerate);
    // Why this viewer cannot write (timed out, banned, read only); cleared once they may, but a message such
    // as "settings saved" stays.
    if (!y.canWrite) say(y.writeReason ?? "");
    else if (!status.dataset.keep) say("");
  }

  function add(m: Msg) {
    if (items.has(m.id)) return;
    const li = el("li");
    li.dataset.id = String(m.id);
    li.dataset.uid = m.uid;
    if (m.role) li.append(el("span", `chat-badge ${m.role}`, m.role));
    li.append(el("span", "chat-user", m.user), document.createTextNode(" "));
    const t = el("span", "chat-text");
    t.append(...linkify(m.text));
    li.append(t);
    if (you?.canModerate && m.uid !== you.uid) {
      const tools = el("span", "chat-tools");
      const b = (label: string, f: () => unknown) => {
        const x = el("button", "link", label);
        x.type = "button";
        x.addEventListener("click", () => f());
        tools.append(x);
      };
      b("delete", () => send({ type: "delete", id: m.id }));
      b("timeout 5 min", () => send({ type: "timeout", uid: m.uid, minutes: 5 }));
      b("ban", () => send({ type: "ban", uid: m.uid }));
      li.append(tools);
    }
    // Keep id order even when a history arrives after live messages.
    let before: Element | null = null;
    for (let c = list.lastElementChild; c; c = c.previousElementSibling) {
      if (Number((c as HTMLElement).dataset.id) > m.id) before = c;
      else break;
    }
    list.insertBefore(li, before);
    items.set(m.id, li);
    lastId = Math.max(lastId ?? 0, m.id);
    while (items.size > 500) {
      const first = list.firstElementChild as HTMLLIElement;
      items.delete(Number(first.dataset.id));
      first.remove();
    }
    const nearBottom = list.scrollHeight - list.scrollTop - list.clientHeight < 80;
    if (nearBottom) list.scrollTop = list.scrollHeight;
  }

  function remove(id: number) {
    items.get(id)?.remove();
    items.delete(id);
  }

  function clearThrough(through: number) {
    for (const id of [...items.keys()]) if (id <= through) remove(id);
    lastId = Math.max(lastId ?? 0, through);
  }

  function connect() {
    const proto = location.protocol === "https:" ? "wss:" : "ws:";
    const q = lastId !== null ? `?since=${lastId}` : "";
    const sock = new WebSocket(`${proto}//${location.host}/chat/${encodeURIComponent(path)}${q}`);
    ws = sock;
    sock.onmessage = (e) => {
      let f: Record<string, unknown>;
      try {
        f = JSON.parse(String(e.data));
      } catch {
        return;
      }
      // Several frames at once (they queued up on the server), in order.
      for (const x of f.type === "batch" && Array.isArray(f.frames) ? f.frames : [f]) handle(x);
    };
    const handle = (f: Record<string, unknown>) => {
      switch (f.type) {
        case "hello":
          retry = 500;
          applyYou(f.you as You);
          viewers.textContent = `${f.viewers} watching`;
          slow.value = String((f.settings as { slowSeconds: number }).slowSeconds);
          break;
        case "history": {
          if (!f.complete) {
            list.replaceChildren();
            items.clear();
          }
          for (const id of f.deleted as number[]) remove(id);
          if (typeof f.clearedThrough === "number") clearThrough(f.clearedThrough);
          for (const m of f.messages as Msg[]) add(m);
          break;
        }
        case "message":
          add(f as unknown as Msg);
          break;
        case "delete":
          remove(f.id as number);
          break;
        case "clear":
          clearThrough(f.through as number);
          break;
        case "viewers":
          viewers.textContent = `${f.count} watching`;
          break;
        case "settings":
          slow.value = String(f.slowSeconds);
          if (you) applyYou({ ...you, guests: f.guests as boolean });
          break;
        case "you":
          applyYou(f as unknown as You);
          break;
        case "error":
          say(String(f.reason), true);
          break;
      }
    };
    sock.onclose = (e) => {
      if (ws !== sock) return;
      ws = null;
      input.disabled = sendBtn.disabled = true;
      say(e.reason ? `disconnected: ${e.reason}; reconnecting…` : "reconnecting…", true);
      setTimeout(connect, retry);
      retry = Math.min(retry * 2, 10_000);
    };
  }

  form.addEventListener("submit", (e) => {
    e.preventDefault();
    const text = input.value.trim();
    if (!text) return;
    send({ type: "send", text });
    input.value = "";
  });
  guestForm.addEventListener("submit", (e) => {
    e.preventDefault();
    send({ type: "guest", name: guestName.value });
  });
  slow.addEventListener("change", () => send({ type: "slow", seconds: Number(slow.value) }));
  clearBtn.addEventListener("click", () => {
    if (confirm("Delete every message of this chat for everyone?")) send({ type: "clear" });
  });
  connect();
}

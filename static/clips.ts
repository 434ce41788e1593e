// Clips in the browser (issue #22): the clip page /clips/<id> (copy the share link, delete) and the clip
// panel of a stream's dashboard page (#clips-panel: the stream's clips with delete buttons, and who may
// clip it). Cutting from the watch page is in static/rewind.ts.
import { api, type ClipInfo, clock } from "./clip-api.ts";

function el<K extends keyof HTMLElementTagNameMap>(tag: K, text = "", cls = ""): HTMLElementTagNameMap[K] {
  const e = document.createElement(tag);
  if (text) e.textContent = text;
  if (cls) e.className = cls;
  return e;
}

function clipPage(root: HTMLElement) {
  const id = root.dataset.id!;
  const note = document.getElementById("clip-note")!;
  const say = (t: string) => {
    note.textContent = t;
    note.classList.remove("hidden");
  };
  document.getElementById("clip-copy")?.addEventListener("click", async () => {
    const input = document.getElementById("clip-share") as HTMLInputElement;
    try {
      await navigator.clipboard.writeText(input.value);
      say("Link copied.");
    } catch {
      input.select();
      say("Select the link and copy it by hand.");
    }
  });
  document.getElementById("clip-delete")?.addEventListener("click", async () => {
    if (!confirm("Delete this clip?")) return;
    try {
      await api(`/api/clips/${encodeURIComponent(id)}`, "DELETE");
      location.href = `/watch/${encodeURIComponent(root.dataset.path ?? "")}`;
    } catch (e) {
      say((e as Error).message);
    }
  });
}

async function panel(root: HTMLElement) {
  const path = root.dataset.path!;
  const body = el("div");
  root.querySelector("p.muted")?.remove();
  root.append(body);
  const render = async () => {
    const list = await api<{ clips: (ClipInfo & { url: string })[]; maxSeconds: number }>(
      `/api/clips?path=${encodeURIComponent(path)}`,
    );
    const ul = el("ul", "", "clips-list");
    for (const c of list.clips) {
      const li = el("li");
      li.dataset.clip = c.id;
      const a = el("a", c.title || c.id);
      a.href = c.url;
      const del = el("button", "Delete", "link");
      del.addEventListener("click", async () => {
        if (!confirm(`Delete clip ${c.title || c.id}?`)) return;
        await api(`/api/clips/${encodeURIComponent(c.id)}`, "DELETE").catch((e) =>
          alert((e as Error).message)
        );
        render();
      });
      li.append(a, el("span", clock(c.duration), "badge"), el("span", `by ${c.createdBy}`, "muted"), del);
      ul.append(li);
    }
    const empty = el("p", list.clips.length ? "" : "No clips yet: cut them on the watch page.", "muted");
    body.replaceChildren(ul, empty);
    try {
      const s = await api<{ clipBy: string }>(`/api/clips/settings/${encodeURIComponent(path)}`);
      const label = el("label", "Who may clip ");
      const sel = el("select");
      sel.id = "clip-by";
      for (const [v, t] of [["moderators", "owner and moderators"], ["viewers", "every logged-in viewer"]]) {
        const o = el("option", t);
        o.value = v;
        o.selected = s.clipBy === v;
        sel.append(o);
      }
      const msg = el("span", "", "msg");
      sel.addEventListener("change", async () => {
        try {
          await api(`/api/clips/settings/${encodeURIComponent(path)}`, "PUT", { clipBy: sel.value });
          msg.textContent = "Saved.";
        } catch (e) {
          msg.textContent = (e as Error).message;
        }
      });
      label.append(sel);
      body.append(label, msg);
    } catch { /* not allowed to change it */ }
  };
  await render().catch((e) => body.replaceChildren(el("p", (e as Error).message, "error")));
}

const page = document.getElementById("clip");
if (page) clipPage(page);
const dash = document.getElementById("clips-panel");
if (dash) panel(dash);

// Shared by static/rewind.ts and static/clips.ts (issue #22): JSON calls with the page's CSRF token, and
// time formatting. Not an entry of its own: bundled into both.
export const csrf = document.body.dataset.csrf ?? "";

/** A JSON API call; resolves with the body, throws Error(message from {"error"}) on a 4xx/5xx. */
export async function api<T = Record<string, unknown>>(
  url: string,
  method = "GET",
  body?: unknown,
): Promise<T> {
  const res = await fetch(url, {
    method,
    credentials: "same-origin",
    cache: "no-store",
    headers: body === undefined ? { "x-csrf-token": csrf } : {
      "content-type": "application/json",
      "x-csrf-token": csrf,
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const data = await res.json().catch(() => ({})) as Record<string, unknown>;
  if (!res.ok) throw new Error(String(data.error ?? `HTTP ${res.status}`));
  return data as T;
}

/** Seconds as m:ss or h:mm:ss. */
export function clock(sec: number): string {
  const t = Math.max(0, Math.round(sec));
  const h = Math.floor(t / 3600), m = Math.floor((t % 3600) / 60), s = t % 60;
  const ss = String(s).padStart(2, "0");
  return h ? `${h}:${String(m).padStart(2, "0")}:${ss}` : `${m}:${ss}`;
}

export interface ClipInfo {
  id: string;
  path: string;
  title: string;
  start: string;
  duration: number;
  bytes: number;
  createdBy: string;
  created: number;
  url: string;
}

/** Cuts a clip: `{last}` seconds of what is recorded, or `{start, duration}`; resolves with the clip. */
export async function cutClip(
  path: string,
  range: { last: number } | { start: string; duration: number },
  title = "",
): Promise<ClipInfo> {
  const r = await api<{ clip: ClipInfo }>("/api/clips", "POST", { path, title, ...range });
  return r.clip;
}

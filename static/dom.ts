// Small helpers the dashboard scripts share (admin.ts, restream.ts, ladder-admin.ts): the JSON API call
// with the CSRF header, and making an element with its properties and children.

/**
 * Sends `body` (JSON) to livegate's API at `url` with the page's CSRF token; the answer's JSON object.
 * Throws an Error with the API's `error` message (or "HTTP <status>") when the answer is not 2xx.
 */
export async function apiCall(
  csrf: string,
  url: string,
  method: string,
  body?: unknown,
): Promise<Record<string, unknown>> {
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

/** A new `tag` element with `props` set and `kids` appended. */
export function el<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  props: Partial<HTMLElementTagNameMap[K]> = {},
  ...kids: (Node | string)[]
): HTMLElementTagNameMap[K] {
  const e = Object.assign(document.createElement(tag), props);
  e.append(...kids);
  return e;
}

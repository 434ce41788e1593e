// The invariants every hostile request must keep, whatever the route: no 5xx (except the documented
// 502/503 "MediaMTX not reachable" of the proxies), a message with every 4xx, redirects only to local
// paths, no injected headers or cookies, no unescaped markup echoed into HTML.
import assert from "node:assert/strict";

export const counts: Record<string, number> = {};

export function count(group: string, n = 1) {
  counts[group] = (counts[group] ?? 0) + n;
}

const ALLOWED_COOKIES = new Set(["lg_session", "lg_csrf", "lg_device", "lg_share"]);

export async function checkSane(res: Response, what: string, method = "GET"): Promise<string> {
  const body = await res.text();
  const tag = `${what} -> ${res.status} ${body.slice(0, 200)}`;
  if (res.status >= 500) {
    assert.ok(
      (res.status === 502 || res.status === 503) && /MediaMTX/.test(body),
      `5xx for ${tag}`,
    );
  }
  if (res.status >= 400 && method !== "HEAD") {
    assert.ok(body.trim().length > 0, `4xx without a message: ${tag}`);
  }
  if (res.status >= 300 && res.status < 400 && res.status !== 304) {
    const loc = res.headers.get("location") ?? "";
    assert.ok(
      loc.startsWith("/") && !loc.startsWith("//") && !loc.startsWith("/\\"),
      `off-site ${loc}: ${tag}`,
    );
  }
  for (const c of res.headers.getSetCookie()) {
    const name = c.slice(0, c.indexOf("="));
    assert.ok(ALLOWED_COOKIES.has(name), `unexpected cookie ${name}: ${tag}`);
  }
  for (const [k] of res.headers) assert.match(k, /^[a-z0-9-]+$/, `odd header name ${k}: ${tag}`);
  if ((res.headers.get("content-type") ?? "").startsWith("text/html")) {
    assert.doesNotMatch(body, /<script>alert|<img src=x onerror/i, `markup echoed: ${tag}`);
    assert.ok(res.headers.get("content-security-policy"), `HTML without CSP: ${tag}`);
  }
  return body;
}

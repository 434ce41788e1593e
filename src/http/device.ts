// A short, human name for the browser and system a request comes from ("Firefox 133 on Windows"), for the
// account page's list of sessions. Parsed by the `bowser` library from the User-Agent header; nothing else
// about the client (no IP address) is kept.
import Bowser from "bowser";

/** "Browser major on OS" from a User-Agent header (≤ 120 chars); "Unknown device" when it says nothing. */
export function deviceOf(userAgent: string | undefined | null): string {
  const ua = (userAgent ?? "").slice(0, 512);
  if (!ua.trim()) return "Unknown device";
  try {
    const r = Bowser.parse(ua);
    const browser = [r.browser.name, r.browser.version?.split(".")[0]].filter(Boolean).join(" ");
    const os = r.os.name ?? "";
    const text = browser && os ? `${browser} on ${os}` : browser || os || "Unknown device";
    // Printable only: a hostile header cannot put control or bidi characters into the page or the log.
    return text.replace(/[^\p{L}\p{N} .,_()/+-]/gu, "").slice(0, 120) || "Unknown device";
  } catch {
    return "Unknown device";
  }
}

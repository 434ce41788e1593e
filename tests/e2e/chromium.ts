// Headless Debian Chromium for e2e tests that need a real browser (same flags as browser_test.ts).
import { chromium } from "playwright-core";

const CHROMIUM = Deno.env.get("CHROMIUM_BIN") ?? "/usr/bin/chromium";
const ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
  "--disable-quic",
  "--autoplay-policy=no-user-gesture-required",
];

export async function launchChromium() {
  try {
    Deno.statSync(CHROMIUM);
  } catch {
    throw new Error(`Chromium not found at ${CHROMIUM}: run scripts/test.sh (installs Debian's chromium)`);
  }
  return await chromium.launch({ executablePath: CHROMIUM, args: ARGS, headless: true });
}

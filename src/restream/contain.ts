// Keeps an error thrown inside werift (the WebRTC stack of the WHIP client, whip-client.ts) from ending
// livegate: Deno ends the process on an uncaught exception or unhandled rejection, and werift runs code in
// socket and timer callbacks that livegate cannot wrap (DTLS, SCTP, RTCP with a misbehaving peer). Only
// errors whose stack passes through werift's files are caught, logged and dropped; every other one ends the
// process as before. Installed by the restreamer while it runs (Restreamer.start/stop).

/** Whether `e` was thrown in werift's code (its stack names a file of the werift package). */
export function fromWerift(e: unknown): boolean {
  const stack = e instanceof Error ? e.stack ?? "" : "";
  return /[\\/]werift@[^\\/]*[\\/]|[\\/]node_modules[\\/]werift[\\/]/.test(stack);
}

/**
 * Starts catching werift's uncaught errors and unhandled rejections (each logged once through `log`, with
 * its message only). Returns the function that stops it.
 */
export function containWerift(log: (line: string) => void): () => void {
  const onRejection = (ev: PromiseRejectionEvent) => {
    if (!fromWerift(ev.reason)) return;
    ev.preventDefault();
    log(`[livegate] restream: WebRTC stack error ignored: ${(ev.reason as Error).message}`);
  };
  const onError = (ev: ErrorEvent) => {
    if (!fromWerift(ev.error)) return;
    ev.preventDefault();
    log(`[livegate] restream: WebRTC stack error ignored: ${(ev.error as Error).message}`);
  };
  globalThis.addEventListener("unhandledrejection", onRejection);
  globalThis.addEventListener("error", onError);
  return () => {
    globalThis.removeEventListener("unhandledrejection", onRejection);
    globalThis.removeEventListener("error", onError);
  };
}

// Turns what ffmpeg wrote to stderr when a restream attempt ended into words for the dashboard, and says
// whether trying again can help. Wording and patterns measured with ffmpeg 5.1 (Debian 12, GnuTLS) against
// nginx-rtmp (on_publish refusing), MediaMTX v1.20.1 (RTMP and SRT auth refusing, RTMPS with a self-signed
// certificate), closed ports and unknown hosts (docs/restream.md).

/** Why an attempt ended: the words shown and whether to retry. */
export interface Verdict {
  /** "connection refused", "authentication failed", "codec not accepted", ... */
  error: string;
  /** false: the same attempt will fail the same way (a wrong key, a codec the destination cannot take). */
  retry: boolean;
}

const CODEC =
  /not compatible with|incorrect codec parameters|codec not currently supported|codec .* is not supported|unsupported codec|Tag .* incompatible/i;
const AUTH =
  /authentication failed|unauthori[sz]ed|forbidden|\b40[13]\b|peer rejected|rejected connection|BadName|Publish\.Denied|Server error/i;

/**
 * The verdict on an attempt. `lines`: its stderr lines (secrets already removed); `wasLive`: whether media
 * flowed in it; `source`: the text that marks a line about the local input (MediaMTX), not the destination.
 */
export function classifyExit(lines: string[], wasLive: boolean, source: string): Verdict {
  const dest = lines.filter((l) => !l.includes(source));
  const srcLines = lines.filter((l) => l.includes(source));
  const text = dest.join("\n");
  if (CODEC.test(text)) return { error: "codec not accepted", retry: false };
  // ffmpeg's tls protocol with -tls_verify 1 (GnuTLS, ffmpeg 5.1): the chain is not trusted, or it names
  // another host. Trying again cannot help until the destination's certificate (or the opt-out) changes.
  if (
    /Peer certificate failed verification|Unable to verify peer certificate|certificate verify failed/i.test(
      text,
    )
  ) {
    return { error: "certificate not trusted", retry: false };
  }
  if (/certificate's owner does not match hostname/i.test(text)) {
    return { error: "certificate not trusted (it is for another host name)", retry: false };
  }
  const server = /Server error: (.{1,120})/.exec(text)?.[1];
  if (AUTH.test(text)) {
    return {
      error: server
        ? `authentication failed (the destination said: ${server.trim()})`
        : "authentication failed",
      retry: false,
    };
  }
  if (/Connection refused/i.test(text)) return { error: "connection refused", retry: true };
  if (
    /Failed to resolve hostname|Name or service not known|Temporary failure in name resolution/i.test(text)
  ) {
    return { error: "host not found", retry: true };
  }
  if (/timed? ?out/i.test(text)) return { error: "no answer from the destination (timed out)", retry: true };
  if (/Network is unreachable|No route to host/i.test(text)) {
    return { error: "host unreachable", retry: true };
  }
  const tls = /\[tls @ [^\]]*\] (.{1,120})/.exec(text)?.[1];
  if (!wasLive && tls) return { error: `TLS failed: ${tls.trim()}`, retry: true };
  if (!wasLive && /RTMP handshake/i.test(text)) {
    return { error: "no RTMP answer from the destination (handshake failed)", retry: true };
  }
  if (wasLive || /Broken pipe|Connection reset|End of file/i.test(text)) {
    return { error: "connection lost", retry: true };
  }
  if (srcLines.length > 0 && dest.length === 0) return { error: "the source is not available", retry: true };
  // Connected, then the destination closed before accepting the publish (nginx-rtmp's on_publish refusal
  // shows only "Input/output error"); for SRT the same words mean the handshake got no answer.
  if (/Input\/output error/i.test(text)) {
    return /^srt:|\[srt/m.test(text)
      ? { error: "no answer from the destination (timed out)", retry: true }
      : { error: "authentication failed (the destination refused the publish)", retry: false };
  }
  const last = dest.at(-1)?.trim();
  return { error: last ? `ffmpeg stopped: ${last.slice(0, 160)}` : "ffmpeg stopped", retry: true };
}

// A child process's output, line by line (MediaMTX's logs in the supervisor; livegate's and MediaMTX's
// in the e2e harness and the benchmark rig). A last line without a newline is passed on too, also when the
// stream fails (the error is then rethrown).
export async function forEachLine(stream: ReadableStream<Uint8Array>, onLine: (line: string) => void) {
  const dec = new TextDecoder();
  let buf = "";
  try {
    for await (const bytes of stream) {
      buf += dec.decode(bytes, { stream: true });
      let i;
      while ((i = buf.indexOf("\n")) >= 0) {
        const line = buf.slice(0, i);
        buf = buf.slice(i + 1);
        onLine(line);
      }
    }
  } finally {
    if (buf) onLine(buf);
  }
}

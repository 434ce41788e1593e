// UDP counterpart of checkPortFree (SRT and WebRTC ICE listen on UDP): binds and releases the port so a
// taken one stops the start with the setting's name instead of a MediaMTX crash loop. node:dgram needs
// no unstable Deno flag.
import dgram from "node:dgram";
import { ConfigError } from "./parse.ts";

export function checkUdpPortFree(setting: string, host: string, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const sock = dgram.createSocket({ type: host.includes(":") ? "udp6" : "udp4" });
    sock.once("error", (e: NodeJS.ErrnoException) => {
      sock.close();
      reject(
        e.code === "EADDRINUSE"
          ? new ConfigError(
            setting,
            `UDP port ${port} is already in use on ${host}; stop what uses it or pick another`,
          )
          : new ConfigError(setting, `cannot listen on UDP ${host}:${port}: ${e.message}`),
      );
    });
    sock.bind(port, host, () => sock.close(() => resolve()));
  });
}

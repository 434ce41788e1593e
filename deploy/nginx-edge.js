// livegate edge token check for nginx's njs module (Debian: libnginx-mod-http-js, njs 0.7.9+).
// Used by deploy/nginx-edge.conf: `js_set $livegate_edge_check livegate_edge.check;` answers "ok" for a
// request /e/<exp>.<viewer>.<sig>/<path>/<file> whose token is unexpired and whose sig is
// base64url(HMAC-SHA256(secret, "lgedge1/<path>/<exp>/<viewer>")) (src/edge/token.ts), else the reason.
// The secret comes from the variable $livegate_edge_secret (js_var in edge-secret.conf). No call to
// livegate: the edge decides alone.
const crypto = require("crypto");

const URI_RE =
  /^\/e\/(\d{1,12})\.([A-Za-z0-9_-]{0,24})\.([A-Za-z0-9_-]{43})\/([A-Za-z0-9_][A-Za-z0-9_.-]{0,63})\/[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/;

// Compares two strings of the same length without stopping at the first difference.
function sameString(a, b) {
  if (a.length !== b.length) return false;
  let d = 0;
  for (let i = 0; i < a.length; i++) d |= a.charCodeAt(i) ^ b.charCodeAt(i);
  return d === 0;
}

function check(r) {
  const m = URI_RE.exec(r.uri);
  if (!m) return "malformed";
  if (Number(m[1]) * 1000 <= Date.now()) return "expired";
  const secret = r.variables.livegate_edge_secret || "";
  if (secret.length < 32) return "no secret configured";
  const sig = crypto.createHmac("sha256", secret).update("lgedge1/" + m[4] + "/" + m[1] + "/" + m[2])
    .digest("base64url");
  return sameString(sig, m[3]) ? "ok" : "bad signature";
}

export default { check };

// The MediaMTX version livegate is built and tested against. Keep in step with scripts/versions.sh
// (a unit test checks that they match).
export const MEDIAMTX_VERSION = "v1.20.1";

# Pinned versions of everything livegate's scripts install. One place to bump.
DENO_VERSION=2.9.6
MEDIAMTX_VERSION=v1.20.1

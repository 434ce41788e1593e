# Pinned versions of everything livegate's scripts install. One place to bump.
DENO_VERSION=2.9.6
MEDIAMTX_VERSION=v1.20.1
# Go toolchain used to build MediaMTX where no release download is reachable and no Go >= 1.26 is installed.
GO_VERSION=1.26.8
MEDIAMTX_GO_MIN=1.26.0

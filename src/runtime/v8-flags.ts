// V8 flags livegate runs with, wherever it is started: `deno task start`, scripts/start.sh, the compiled
// binary (scripts/compile.ts embeds them) and the e2e harness (so tests and benchmarks run what users run).
// tests/unit/v8_flags_test.ts checks each of them. They must be given on the command line: V8 reads heap
// settings once, before any code of ours runs.
//
// --heap-growing-percent=100: V8 lets the old generation grow by 100% over what survived the last full
// collection before collecting again, instead of its default factor (up to 4x). Under LL-HLS load most
// of what reaches the old generation is short-lived (requests waiting ~0.2 s on a blocking playlist
// reload), so the default let V8's heap grow to ~120 MB with ~20 MB alive. Measured at 1,000 viewers
// (BENCHMARKS.md): livegate's RSS 281 -> 234-238 MB, no CPU cost. 20% and 50% saved ~15 MB more but
// raised the auth hook's p99 at 8 connections from ~0.8 ms to 4-4.7 ms (over its 2 ms target).
export const V8_FLAGS = ["--heap-growing-percent=100"] as const;

/** The `deno run`/`deno compile` argument that applies V8_FLAGS. */
export const V8_FLAGS_ARG = `--v8-flags=${V8_FLAGS.join(",")}`;

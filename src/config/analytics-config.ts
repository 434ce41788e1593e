// Settings of stream analytics (src/analytics/): how long its records are kept, how often viewers are
// sampled, and how long the raw samples stay before they are downsampled. Parsed here, merged into Config
// by config.ts. README "Stream analytics" documents them.
import { parseDuration } from "./ops-config.ts";
import { ConfigError, parseBool } from "./parse.ts";

export interface AnalyticsConfig {
  /** Sample, store and serve analytics (default true). */
  enabled: boolean;
  /** Every analytics record (samples, broadcasts, viewer hashes, QoE) expires after this many days. */
  retentionDays: number;
  /** Concurrent viewers are sampled (and the batch is written to KV) every this many ms (default 10,000). */
  sampleMs: number;
  /** Samples older than this many hours are merged into 5-minute samples (default 48). */
  rawHours: number;
}

export const ANALYTICS_ENV = {
  enabled: "LIVEGATE_ANALYTICS",
  retention: "LIVEGATE_ANALYTICS_RETENTION",
  sample: "LIVEGATE_ANALYTICS_SAMPLE",
  raw: "LIVEGATE_ANALYTICS_RAW",
} as const;

type Get = (envName: string, key: string) => { value: unknown; name: string };

/** Reads the analytics settings; throws ConfigError naming the setting on a bad value. */
export function loadAnalyticsConfig(get: Get): AnalyticsConfig {
  const en = get(ANALYTICS_ENV.enabled, "analytics.enabled");
  const re = get(ANALYTICS_ENV.retention, "analytics.retention");
  const sa = get(ANALYTICS_ENV.sample, "analytics.sampleInterval");
  const ra = get(ANALYTICS_ENV.raw, "analytics.rawSamples");
  const retention = parseDuration(re.name, re.value, 90 * 86400, 86400, false);
  const sample = parseDuration(sa.name, sa.value, 10, 1, false);
  if (sample > 300) throw new ConfigError(sa.name, `'${sa.value}' must be at most 300 s`);
  const raw = parseDuration(ra.name, ra.value, 48 * 3600, 3600, false);
  if (raw > retention) throw new ConfigError(ra.name, `must not be longer than ${re.name}`);
  return {
    enabled: parseBool(en.name, en.value, true),
    retentionDays: retention / 86400,
    sampleMs: sample * 1000,
    rawHours: raw / 3600,
  };
}

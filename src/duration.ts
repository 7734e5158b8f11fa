// Durations as the backend reads them (pkg/query ParseDuration): a positive Go duration ("90s",
// "5m", "1h30m") or a whole number of days or weeks ("1d", "7d", "2w").
const GO_DURATION = /^(\d+(\.\d+)?(ns|us|µs|μs|ms|s|m|h))+$/;
const GO_PART = /(\d+(?:\.\d+)?)(ns|us|µs|μs|ms|s|m|h)/g;
const DAYS_OR_WEEKS = /^(\d+)([dw])$/;

const UNIT_MS: Record<string, number> = {
  ns: 1e-6,
  us: 1e-3,
  µs: 1e-3, // micro sign
  μs: 1e-3, // Greek mu: Go accepts both
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
  w: 604_800_000,
};

/** durationMs reads a duration as the backend does, in milliseconds; undefined when it is not one. */
export function durationMs(text: string): number | undefined {
  const s = text.trim();
  let ms = 0;
  const days = DAYS_OR_WEEKS.exec(s);
  if (days) {
    ms = Number(days[1]) * UNIT_MS[days[2]];
  } else if (GO_DURATION.test(s)) {
    for (const [, n, unit] of s.matchAll(GO_PART)) {
      ms += Number(n) * UNIT_MS[unit];
    }
  } else {
    return undefined;
  }
  return ms > 0 ? ms : undefined;
}

/** isDuration reports whether text is a duration the backend accepts. */
export function isDuration(text: string): boolean {
  return durationMs(text) !== undefined;
}

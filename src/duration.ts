// Durations as the backend reads them (pkg/query ParseDuration): a Go duration ("90s", "5m",
// "1h30m") or a whole number of days or weeks ("1d", "7d", "2w").
const DURATION = /^((\d+(\.\d+)?(ns|us|µs|ms|s|m|h))+|\d+[dw])$/;

/** isDuration reports whether text is a duration the backend accepts. */
export function isDuration(text: string): boolean {
  return DURATION.test(text.trim());
}

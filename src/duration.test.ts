import { durationMs, isDuration } from './duration';

describe('durationMs', () => {
  // Expected values worked out by hand from the units: a minute is 60,000 ms, a day 86,400,000.
  it.each([
    ['90s', 90_000],
    ['5m', 300_000],
    ['1h30m', 5_400_000],
    ['1.5h', 5_400_000],
    ['250ms', 250],
    [' 10m ', 600_000],
    ['1d', 86_400_000],
    ['2w', 1_209_600_000],
  ])('%s is %d ms', (text, want) => {
    expect(durationMs(text)).toBe(want);
  });

  it.each([
    ['', 'empty'],
    ['5', 'no unit'],
    ['5 minutes', 'words'],
    ['1.5d', 'a fraction of a day, which the backend refuses'],
    ['1d12h', 'days mixed with other units'],
    ['0m', 'zero'],
    ['0d', 'zero days'],
    ['-5m', 'negative'],
  ])('%s is not a duration (%s)', (text) => {
    expect(durationMs(text)).toBeUndefined();
    expect(isDuration(text)).toBe(false);
  });
});

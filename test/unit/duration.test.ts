import { describe, expect, it } from 'vitest';
import { formatDuration, parseDuration } from '../../lib/duration.js';

describe('parseDuration', () => {
  it('reads a whole number and one unit, and nothing else', () => {
    expect(parseDuration('90s')).toBe(90_000);
    expect(parseDuration(' 24h ')).toBe(86_400_000);
    expect(parseDuration('2d')).toBe(172_800_000);
    for (const bad of ['0m', '1.5h', '24', 'h', '1w', '-1d', '1d2h']) expect(parseDuration(bad), bad).toBeUndefined();
  });
});

describe('formatDuration', () => {
  it('says a wait to the unit that matters', () => {
    expect(formatDuration(0)).toBe('0s');
    expect(formatDuration(4_900)).toBe('4s');
    expect(formatDuration(60_000)).toBe('1m');
    expect(formatDuration(59 * 60_000 + 59_000)).toBe('59m');
    expect(formatDuration(3_600_000)).toBe('1h');
    expect(formatDuration(5 * 3_600_000 + 20 * 60_000)).toBe('5h 20m');
    expect(formatDuration(25 * 3_600_000)).toBe('25h');
    expect(formatDuration(48 * 3_600_000)).toBe('2d');
    expect(formatDuration(73 * 3_600_000 + 59 * 60_000)).toBe('3d 1h');
  });

  it('round-trips what parseDuration reads', () => {
    for (const text of ['30m', '24h', '2d', '45s']) expect(formatDuration(parseDuration(text)!)).toBe(text);
  });
});

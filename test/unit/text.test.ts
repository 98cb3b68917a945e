import { describe, expect, it } from 'vitest';
import { truncate, truncateBytes } from '../../lib/text.js';

const bytes = (text: string) => Buffer.byteLength(text, 'utf8');
/** Text that survives a trip through UTF-8: no half of a surrogate pair anywhere. */
const wellFormed = (text: string) => Buffer.from(text, 'utf8').toString('utf8') === text;
const codePoints = (text: string) => Array.from(text).length;

describe('truncate', () => {
  it('leaves text that fits alone, and cuts what does not to max characters ending in …', () => {
    expect(truncate('abcdef', 6)).toBe('abcdef');
    expect(truncate('abcdef', 5)).toBe('abcd…');
    expect(truncate('abcdef', 1)).toBe('…');
    expect(truncate('', 3)).toBe('');
  });

  it('counts code points, not UTF-16 units: four emoji fit in four, and a cut never halves one', () => {
    const faces = '\u{1F600}\u{1F601}\u{1F602}\u{1F603}';
    expect(faces.length).toBe(8);
    expect(truncate(faces, 4)).toBe(faces);
    expect(truncate(faces, 3)).toBe('\u{1F600}\u{1F601}…');
    for (let max = 1; max <= 4; max++) {
      const cut = truncate(`x${faces}`, max);
      expect(wellFormed(cut), `max ${max}`).toBe(true);
      expect(codePoints(cut), `max ${max}`).toBe(max);
    }
  });

  it('gives nothing when nothing may be kept', () => {
    expect(truncate('abc', 0)).toBe('');
    expect(truncate('abc', -1)).toBe('');
  });
});

describe('truncateBytes', () => {
  it('leaves text within max bytes alone', () => {
    expect(truncateBytes('abc', 3)).toBe('abc');
    expect(truncateBytes('€', 3)).toBe('€');
  });

  it('cuts ASCII to max bytes, the … (3 bytes) included', () => {
    expect(truncateBytes('abcdefgh', 6)).toBe('abc…');
    expect(bytes(truncateBytes('abcdefgh', 6))).toBe(6);
  });

  it('never cuts a character and never exceeds max, whatever max is', () => {
    // 1-, 2-, 3- and 4-byte characters, so every max lands inside one of them somewhere.
    const text = 'a\u00e9\u20ac\u{1F4A5}b\u00e9\u20ac\u{1F4A5}';
    for (let max = 0; max <= bytes(text) + 1; max++) {
      const cut = truncateBytes(text, max);
      expect(bytes(cut), `max ${max}`).toBeLessThanOrEqual(max);
      expect(wellFormed(cut), `max ${max}`).toBe(true);
      if (cut === text) continue;
      const kept = cut.endsWith('…') ? cut.slice(0, -1) : cut;
      expect(text.startsWith(kept), `max ${max}`).toBe(true);
      // Cut as late as it could be: one more character would not have fitted.
      const next = Array.from(text)[codePoints(kept)]!;
      expect(bytes(kept) + bytes(next) + (cut.endsWith('…') ? 3 : 0), `max ${max}`).toBeGreaterThan(max);
    }
  });

  it('marks a cut with … whenever the … fits, and keeps whole characters when it does not', () => {
    expect(truncateBytes('\u{1F4A5}\u{1F4A5}', 7)).toBe('\u{1F4A5}…');
    expect(truncateBytes('\u{1F4A5}\u{1F4A5}', 6)).toBe('…');
    expect(truncateBytes('abcdef', 3)).toBe('…');
    expect(truncateBytes('abcdef', 2)).toBe('ab');
    expect(truncateBytes('abcdef', 0)).toBe('');
  });
});

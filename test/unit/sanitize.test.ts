import { describe, expect, it } from 'vitest';
import { cleanText, cleanToken, displayServiceName, INVISIBLE } from '../../lib/monitor/sanitize.js';

describe('cleanText', () => {
  it('turns every control and invisible character into a space, then one space, trimmed', () => {
    // A tenant's description must not add lines to an e-mail or reorder what its reader sees.
    const hostile = ' a\u0000b\u001fc\u007fd\u009fe\u00adf\u200bg\u200fh\u2028i\u202ej\u2060k\u206fl\ufeffm\ufff9n\ufffbo\r\np ';
    expect(cleanText(hostile, 100)).toBe('a b c d e f g h i j k l m n o p');
    expect(cleanText('plain, ordinary text (é, 中文, ✓)', 100)).toBe('plain, ordinary text (é, 中文, ✓)');
  });

  it('bounds the result in characters, marking the cut', () => {
    expect(cleanText('abcdef', 6)).toBe('abcdef');
    expect(cleanText('abcdefg', 6)).toBe('abcde…');
  });

  it('matches every invisible character it replaces, and no visible one', () => {
    expect('\u0000\u001f\u007f\u009f\u00ad\u200b\u200f\u2028\u202e\u2060\u206f\ufeff\ufff9\ufffb'.replace(INVISIBLE, '')).toBe('');
    expect(' !~\u00a0\u00ae\u200a\u2030\u205f\ufffc'.replace(INVISIBLE, '')).toBe(' !~\u00a0\u00ae\u200a\u2030\u205f\ufffc');
  });
});

describe('cleanToken', () => {
  it('keeps the characters ids, statuses and codes are made of, and marks any other', () => {
    expect(cleanToken('AZaz09._:@/-')).toBe('AZaz09._:@/-');
    expect(cleanToken('a b\nc"d<e>é')).toBe('a?b?c?d?e??');
  });

  it('bounds the result, 64 characters unless told', () => {
    expect(cleanToken('x'.repeat(64))).toBe('x'.repeat(64));
    expect(cleanToken('x'.repeat(65))).toBe(`${'x'.repeat(63)}…`);
    expect(cleanToken('x'.repeat(10), 5)).toBe('xxxx…');
  });
});

describe('displayServiceName', () => {
  it('drops the region in front and the id behind, only when they are there', () => {
    expect(displayServiceName('ap-southeast-1.payments.id-1', 'id-1')).toBe('payments');
    expect(displayServiceName('payments.id-1', 'id-1')).toBe('payments');
    expect(displayServiceName('ap-southeast-1.payments', 'id-1')).toBe('payments');
    expect(displayServiceName('payments.id-10', 'id-1')).toBe('payments.id-10');
    expect(displayServiceName('payments', 'payments')).toBe('payments');
    // Only a region-shaped prefix at the start: lower-case words joined by hyphens, then a dot.
    expect(displayServiceName('a-b.payments', 'x')).toBe('a-b.payments');
    expect(displayServiceName('eu-west-101.payments', 'x')).toBe('payments');
    expect(displayServiceName('my.eu-west-1.payments', 'x')).toBe('my.eu-west-1.payments');
    expect(displayServiceName('EU-WEST-1.payments', 'x')).toBe('EU-WEST-1.payments');
  });

  it('cleans and bounds what is left, as any tenant text', () => {
    expect(displayServiceName(`cn-north-4.${'n'.repeat(200)}\u202e.id`, 'id')).toBe(`${'n'.repeat(127)}…`);
  });

  it('cleanText still trims edge spaces and folds runs of spaces in a text with nothing else to clean', () => {
    expect(cleanText(' a  b ', 100)).toBe('a b');
    expect(cleanText('a ', 100)).toBe('a');
  });
});

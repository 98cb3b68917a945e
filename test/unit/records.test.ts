import { describe, expect, it } from 'vitest';
import {
  chunkRecords,
  chunksOf,
  type ConnectionRecord,
  countRecords,
  decodeRecord,
  decodeRecords,
  encodeChunk,
  encodeRecord,
  recordIds,
} from '../../lib/monitor/records.js';

const record = (id: string, status = 'accepted', updatedAt = '2026-11-01T00:00:00Z', domainId = 'd1'): ConnectionRecord => ({ id, status, updatedAt, domainId });
const c1 = record('c1');
const c2 = record('c2', 'pendingAcceptance', '2026-11-02T00:00:00Z', 'd2');
const c3 = record('c3', 'failed', '2026-11-03T00:00:00Z', 'd3');

describe('encoding and decoding', () => {
  it('writes a record as four comma-separated fields and reads it back', () => {
    expect(encodeRecord(c2)).toBe('c2,pendingAcceptance,2026-11-02T00:00:00Z,d2');
    expect(decodeRecord(encodeRecord(c2))).toEqual(c2);
    expect(encodeChunk([c1, c2])).toBe('c1,accepted,2026-11-01T00:00:00Z,d1;c2,pendingAcceptance,2026-11-02T00:00:00Z,d2');
    expect([...decodeRecords([encodeChunk([c1, c2]), '', encodeChunk([c3])])]).toEqual([c1, c2, c3]);
  });

  it('drops separators from values, so a record can never be corrupted into two', () => {
    const hostile = record('c;9', 'acc,epted', '2026;', 'd,;x');
    expect(encodeRecord(hostile)).toBe('c9,accepted,2026,dx');
    expect([...decodeRecords([encodeChunk([hostile, c1])])]).toEqual([record('c9', 'accepted', '2026', 'dx'), c1]);
  });

  it('refuses a malformed record, naming it', () => {
    expect(() => decodeRecord('c1,accepted,t')).toThrow(RangeError);
    expect(() => decodeRecord('c1,accepted,t')).toThrow('malformed connection record "c1,accepted,t"');
    expect(() => decodeRecord(',accepted,t,d')).toThrow(RangeError);
    expect(() => decodeRecord('a,b,c,d,e')).toThrow(RangeError);
  });
});

describe('counting and listing', () => {
  it('counts records across chunks, an empty chunk holding none', () => {
    expect(countRecords([])).toBe(0);
    expect(countRecords([''])).toBe(0);
    expect(countRecords([encodeChunk([c1]), '', encodeChunk([c2, c3])])).toBe(3);
  });

  it('lists the ids in order, across chunks', () => {
    expect([...recordIds([encodeChunk([c1, c2]), '', encodeChunk([c3])])]).toEqual(['c1', 'c2', 'c3']);
    expect([...recordIds([])]).toEqual([]);
  });

  it('splits one long record string into chunks of size records, the last holding the rest', () => {
    const records = ['a', 'b', 'c', 'd', 'e'].map((id) => record(id));
    const text = encodeChunk(records);
    expect(chunkRecords(text, 2)).toEqual([encodeChunk(records.slice(0, 2)), encodeChunk(records.slice(2, 4)), encodeChunk(records.slice(4))]);
    expect(chunkRecords(encodeChunk(records.slice(0, 4)), 2)).toEqual([encodeChunk(records.slice(0, 2)), encodeChunk(records.slice(2, 4))]);
    expect(chunkRecords(text, 1000)).toEqual([text]);
    expect(chunkRecords('', 2)).toEqual([]);
  });

  it('chunks records a page at a time, as a scan stores them', () => {
    const records = Array.from({ length: 5 }, (_, i) => record(`c${i}`));
    const chunks = chunksOf(records, 2);
    expect(chunks.map((chunk) => countRecords([chunk]))).toEqual([2, 2, 1]);
    expect([...decodeRecords(chunks)]).toEqual(records);
    expect(chunksOf([])).toEqual([]);
  });

  it('bounds the record it names when refusing one', () => {
    const long = `c1,${'x'.repeat(500)}`;
    expect(() => decodeRecord(long)).toThrow(`malformed connection record ${JSON.stringify(long.slice(0, 80))}`);
  });
});

import { describe, expect, it } from 'vitest';
import { ChangeRoom, changeRoomFor, MAX_CHANGES_PER_RUN, reportRoom } from '../../lib/monitor/change-room.js';
import { memoryLogger } from '../fakes.js';

describe('changeRoomFor', () => {
  it('gives 10,000 changes per 128 MB of the function, and 10,000 when the size is unknown or odd', () => {
    expect(MAX_CHANGES_PER_RUN).toBe(10_000);
    expect(changeRoomFor(128)).toBe(10_000);
    expect(changeRoomFor(256)).toBe(20_000);
    expect(changeRoomFor(768)).toBe(60_000);
    expect(changeRoomFor(200)).toBe(10_000);
    for (const odd of [undefined, 64, 0, -1, Number.NaN, Number.POSITIVE_INFINITY]) expect(changeRoomFor(odd), String(odd)).toBe(10_000);
  });
});

describe('ChangeRoom', () => {
  it('takes pages while they fit, refuses the ones that do not, and still takes a smaller one after', () => {
    const room = new ChangeRoom(2_500);
    expect(room.take(1_000, 'a')).toBe(true);
    expect(room.take(1_000, 'a')).toBe(true);
    expect(room.take(1_000, 'b')).toBe(false);
    expect(room.take(500, 'c')).toBe(true);
    expect(room.take(1, 'c')).toBe(false);
    expect(room.take(0, 'd')).toBe(true);
    expect(room.held).toBe(2_500);
    expect(room.deferredPages).toBe(2);
    expect([...room.deferredServices]).toEqual(['b', 'c']);
  });

  it('always takes the first page of a run, however large, and counts forced changes against the rest', () => {
    const room = new ChangeRoom(10);
    expect(room.take(1_000, 'a')).toBe(true);
    expect(room.take(1, 'a')).toBe(false);
    const forced = new ChangeRoom(100);
    forced.force(0);
    expect(forced.take(0, 'a')).toBe(true);
    expect(forced.take(1_000, 'a')).toBe(true); // nothing held yet: the first page goes
    const after = new ChangeRoom(100);
    after.force(99);
    expect(after.take(2, 'a')).toBe(false);
    expect(after.take(1, 'a')).toBe(true);
    expect(after.held).toBe(100);
  });

  it('counts the connections of a first-seen page past the room as unalerted, not as a page left for later', () => {
    const room = new ChangeRoom(1_500);
    expect(room.take(1_000, 'a', 'new')).toBe(true);
    expect(room.take(900, 'b', 'new')).toBe(false);
    expect(room.take(1_000, 'c')).toBe(false);
    expect(room).toMatchObject({ unalerted: 900, deferredPages: 1, held: 1_000 });
    expect([...room.unalertedServices]).toEqual(['b']);
    expect([...room.deferredServices]).toEqual(['c']);
  });

  it('says what it left out in one warn line each, naming at most 20 services', () => {
    const room = new ChangeRoom(10);
    room.take(10, 'first');
    for (let i = 0; i < 25; i++) room.take(5, `changed-${i}`);
    for (let i = 0; i < 25; i++) room.take(5, `new-${i}`, 'new');
    const { logger, lines } = memoryLogger();
    expect(reportRoom(room, logger)).toEqual({ unalerted: 125, deferred: { pages: 25, services: Array.from({ length: 25 }, (_, i) => `changed-${i}`) } });
    const said = lines().map((line) => JSON.parse(line) as { level: number; serviceIds: string[]; msg: string });
    expect(said).toHaveLength(2);
    for (const line of said) expect(line.serviceIds).toHaveLength(20);
    expect(said.map((line) => line.msg.split(' ').slice(0, 2).join(' '))).toEqual(['first sight', 'alert storm:']);
    expect(reportRoom(new ChangeRoom(), logger)).toEqual({});
    expect(lines()).toHaveLength(2);
  });
});


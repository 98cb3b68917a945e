import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { renderReport } from '../../lib/report/render-report.js';
import { buildReport, record, stateWith } from './records.js';

const now = new Date('2026-11-20T12:00:00Z');
const since = new Date('2026-11-10T12:00:00Z');

const HOSTILE = [
  '</script><script>alert(1)</script>',
  '<img src=x onerror=alert(2)>',
  '"><svg onload=alert(3)>',
  "' onmouseover='alert(4)",
  // A right-to-left override would make "txt.exe" read as "exe.txt"-style lies.
  'invoice\u202Etxt.exe\u2066',
];

function page(...args: Parameters<typeof buildReport>): string {
  return renderReport(buildReport(...args));
}

/**
 * The tags and attribute names of a page. The renderer double-quotes every attribute value and
 * escapes `"` inside it, so a value never holds a quote: anything that broke out of text or out of
 * a value would show up here as a tag or an attribute of its own.
 */
function markup(html: string): { tags: Set<string>; attributes: Set<string>; values: Map<string, string[]> } {
  const tags = new Set<string>();
  const attributes = new Set<string>();
  const values = new Map<string, string[]>();
  for (const match of html.matchAll(/<([a-zA-Z][\w-]*)((?:\s+[^\s=>"]+(?:="[^"]*")?)*)\s*\/?>/g)) {
    tags.add(match[1]!.toLowerCase());
    for (const [, name, value] of match[2]!.matchAll(/\s+([^\s=>"]+)(?:="([^"]*)")?/g)) {
      attributes.add(name!.toLowerCase());
      values.set(name!.toLowerCase(), [...(values.get(name!.toLowerCase()) ?? []), value ?? '']);
    }
  }
  return { tags, attributes, values };
}

describe('renderReport', () => {
  const hostileState = () =>
    stateWith(
      {
        [HOSTILE[3]!]: { name: `ap-southeast-1.${HOSTILE[0]}.x`, connections: { [HOSTILE[1]!]: ['pendingAcceptance', '2026-11-19T00:00:00Z', HOSTILE[2]!], f: ['failed', '2026-11-19T00:00:00Z', HOSTILE[4]!], u: [HOSTILE[2]!, '2026-11-19T00:00:00Z', 'd'] } },
      },
      { [HOSTILE[3]!]: { [HOSTILE[1]!]: '2026-11-18T12:00:00Z' } },
    );
  const hostileRecords = () => [
    record({ at: '2026-11-18T12:00:00Z', serviceId: HOSTILE[3]!, serviceName: HOSTILE[0]!, connectionId: HOSTILE[1]!, domainId: HOSTILE[2]!, change: 'added', to: 'pendingAcceptance', description: HOSTILE.join(' ') }),
    record({ at: '2026-11-19T00:00:00Z', serviceId: HOSTILE[3]!, serviceName: HOSTILE[0]!, connectionId: 'f', domainId: HOSTILE[4]!, from: 'accepted', to: 'failed', errors: [{ code: HOSTILE[0]!, message: HOSTILE[1]! }], description: HOSTILE[4]! }),
  ];

  it('escapes every untrusted string: names, ids, descriptions, errors, statuses', () => {
    const html = page({ now, since, state: hostileState(), records: hostileRecords() });
    const clean = page({ now, since, state: stateWith({ s: { name: 'n', connections: { a: ['pendingAcceptance', '', 'd'], f: ['failed', '', 'd'], u: ['odd', '', 'd'] } } }), records: [] });
    // No tag or attribute the page would not have without hostile text (the error list adds div and code).
    const hostile = markup(html);
    const plain = markup(clean);
    expect([...hostile.tags].sort()).toEqual([...new Set([...plain.tags, 'div', 'code'])].sort());
    expect([...hostile.attributes].sort()).toEqual([...plain.attributes].sort());
    expect([...hostile.attributes].filter((name) => name.startsWith('on'))).toEqual([]);
    expect(html).not.toMatch(/<script|<img|<svg onload/i);
    expect(html).toContain('&lt;/script&gt;&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(html).toContain('&lt;img src=x onerror=alert(2)&gt;');
    expect(html).toContain('&quot;&gt;&lt;svg onload=alert(3)&gt;');
    expect(html).toContain('&#39; onmouseover=&#39;alert(4)');
    // Bidirectional controls are dropped, the visible text kept.
    expect(html).not.toMatch(/[\u202A-\u202E\u2066-\u2069]/);
    expect(html).toContain('invoice txt.exe');
  });

  it('forbids every fetch and allows exactly its own style sheet', () => {
    const html = page({ now, since, state: hostileState(), records: hostileRecords() });
    const csp = /<meta http-equiv="Content-Security-Policy" content="([^"]+)">/.exec(html)?.[1]?.replaceAll('&#39;', "'");
    expect(csp).toMatch(/^default-src 'none'; style-src 'sha256-[A-Za-z0-9+/=]+'/);
    const styles = [...html.matchAll(/<style>([\s\S]*?)<\/style>/g)].map((match) => match[1]!);
    expect(styles).toHaveLength(1);
    expect(csp).toContain(`'sha256-${createHash('sha256').update(styles[0]!).digest('base64')}'`);
    // Nothing that would fetch: no src, no link but to the page itself, no style attribute, no
    // CSS url() or @import.
    const { attributes, values } = markup(html);
    expect([...attributes].filter((name) => ['src', 'srcset', 'style', 'action', 'poster', 'data', 'background'].includes(name))).toEqual([]);
    expect((values.get('href') ?? []).filter((href) => !href.startsWith('#'))).toEqual([]);
    expect(styles[0]).not.toMatch(/url\(|@import/i);
  });

  it('shows counts, the chart series, pending ages, failures and changes newest first', () => {
    const state = stateWith(
      { 's1': { name: 'ap-southeast-1.payments-api.s1', connections: { a: ['accepted', '', 'd'], p: ['pendingAcceptance', '', 'consumer-7'], f: ['failed', '2026-11-19T00:00:00Z', 'd'] } } },
      { s1: { p: '2026-11-18T09:00:00Z' } },
    );
    const records = [
      record({ at: '2026-11-15T00:00:00Z', serviceId: 's1', connectionId: 'p', domainId: 'consumer-7', change: 'added', to: 'pendingAcceptance' }),
      record({ at: '2026-11-19T00:00:00Z', serviceId: 's1', connectionId: 'f', from: 'accepted', to: 'failed', alerted: true, errors: [{ code: 'EndPoint.2014', message: 'The subnet has no free IP addresses.' }] }),
    ];
    const html = page({ now, since, state, records });
    expect(html).toContain('<h2>payments-api</h2>');
    expect(html).toMatch(/<b>3<\/b>total/);
    expect(html).toMatch(/data-status="accepted" data-now="1" data-max="2"/);
    expect(html).toMatch(/data-status="failed" data-now="1" data-max="1"/);
    expect(html).toMatch(/data-status="pendingAcceptance" data-now="1" data-max="1"/);
    expect(html).toContain('<td data-label="Waiting" class="num waiting">2d 3h</td>');
    expect(html).toContain('<code>EndPoint.2014</code> The subnet has no free IP addresses.');
    const rows = [...html.matchAll(/<td data-label="When" class="when">([^<]+)<\/td>/g)].map((match) => match[1]);
    expect(rows).toEqual(['2026-11-19 00:00:00 UTC', '2026-11-15 00:00:00 UTC']);
  });

  it('tags a raised alert as delivered only where the trail records SMN accepting it; an older trail’s "alerted" reads as raised', () => {
    const state = stateWith({ s1: { name: 'svc', connections: { f: ['failed', '2026-11-19T00:00:00Z', 'd'], g: ['failed', '2026-11-19T00:00:00Z', 'd'], h: ['failed', '2026-11-19T00:00:00Z', 'd'] } } });
    const records = [
      record({ at: '2026-11-19T00:00:00Z', serviceId: 's1', connectionId: 'f', from: 'accepted', to: 'failed', raised: true, eventId: 'ef' }),
      record({ at: '2026-11-19T00:00:01Z', serviceId: 's1', connectionId: 'g', from: 'accepted', to: 'failed', raised: true, eventId: 'eg' }),
      { ...record({ at: '2026-11-19T00:00:02Z', serviceId: 's1', connectionId: 'h', from: 'accepted', to: 'failed', eventId: 'eh' }), raised: undefined, alerted: true },
      record({ at: '2026-11-19T00:00:05Z', serviceId: 's1', connectionId: 'f', from: 'accepted', to: 'failed', change: 'delivered', eventId: 'ef', messageId: 'm-1' }),
    ];
    const html = page({ now, since, state, records });
    const tags = [...html.matchAll(/data-label="Connection" class="mono">(\w)<\/td>.*?<span class="tag">([^<]+)<\/span>/g)].map((match) => [match[1], match[2]]);
    expect(tags).toEqual([['h', 'alert raised'], ['g', 'alert raised'], ['f', 'alert delivered']]);
    expect(html).toContain('3 changes in the trail'); // the delivery record is not a change
  });

  it('says honestly when a failure\'s error is not in the trail', () => {
    const state = stateWith({ s1: { name: 'svc', connections: { early: ['failed', '2026-10-01T00:00:00Z', 'd'], old: ['failed', '2026-11-19T00:00:00Z', 'd'] } } });
    const older = record({ at: '2026-11-19T00:00:00Z', serviceId: 's1', connectionId: 'old', from: 'accepted', to: 'failed' });
    const html = page({ now, since, state, records: [older] });
    expect(html).toContain('Failed before 2026-11-10 12:00:00 UTC: its error is not in this period');
    expect(html).toContain('was written before the monitor kept error details');
  });

  it('says how many changes it left out and how to list them all', () => {
    const state = stateWith({ s1: { name: 'svc', connections: {} } });
    const records = [1, 2, 3, 4, 5].map((day) => record({ at: `2026-11-1${day}T00:00:00Z`, serviceId: 's1', connectionId: `c${day}`, change: 'removed', from: 'accepted' }));
    const html = page({ now, since, state, records, maxChanges: 2 });
    expect(html).toContain('Showing the newest 2 of 5 changes.');
    expect(html).toContain('npm exec --no -- vpcep-monitor audit --service s1 --since 2026-11-10T12:00:00.000Z');
    expect(html.match(/data-label="When"/g)).toHaveLength(2);
  });

  it('shows an honest empty state', () => {
    expect(page({ now, since, state: undefined, records: [] })).toContain('No state yet: the monitor has not saved a snapshot');
    const quiet = page({ now, since, state: stateWith({ s1: { name: 'svc', connections: {} } }), records: [] });
    expect(quiet).toContain('No connections now.');
    expect(quiet).toContain('No connections at any time in the period.');
    expect(quiet).toContain('No changes between 2026-11-10 12:00:00 UTC and 2026-11-20 12:00:00 UTC.');
    expect(quiet).toContain('No requests waiting for acceptance.');
    expect(quiet).toContain('No failed connections.');
    expect(page({ now, since, state: stateWith({}), records: [] })).toContain('holds no endpoint services');
  });
});

describe('the chart tells the truth about time', () => {
  it('draws the time before the first run as no data, marks the baseline, and labels a failed connection\'s description', () => {
    const first = '2026-11-15T12:00:00.000Z';
    const records = [
      record({ at: first, serviceId: 's1', connectionId: 'a', change: 'added', to: 'accepted' }),
      record({ at: first, serviceId: 's1', connectionId: 'f', change: 'added', to: 'failed', description: 'team-x VPC', errors: [{ code: 'EndPoint.2014', message: 'No free IP addresses.' }] }),
    ];
    const state = stateWith({ s1: { name: 'ap-southeast-1.pay.s1', connections: { a: ['accepted', '', 'd1'], f: ['failed', '', 'd2'] } } });
    const html = page({ now, since, state, records, trailStart: new Date(first) });
    expect(html).toContain('No data before 2026-11-15 12:00');
    const width = /<rect class="no-data" x="0" y="0" width="(\d+)"/.exec(html)?.[1];
    expect(Number(width)).toBe(120); // half of the 240 units: the trail starts halfway through the period
    expect(html).toMatch(/<line class="baseline-mark" x1="120"/);
    // The line itself begins at the baseline, not at the left edge with a zero.
    expect(html).toMatch(/<path class="line" d="M120 /);
    expect(html).toContain('Consumer\'s description: “team-x VPC”');
    const whole = page({ now, since, state, records, trailStart: new Date('2026-10-01T00:00:00Z') });
    expect(whole).not.toContain('class="no-data"');
    expect(whole).not.toContain('No data before');
  });
});

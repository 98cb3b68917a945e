/**
 * `npm start`'s demo, run from the built CLI as a person runs it: what it says Cloud Eye received
 * must agree with the runs it printed, and it still ends by writing the report.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, expect, it } from 'vitest';

const dir = mkdtempSync(join(tmpdir(), 'vpcep-demo-test-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

it('shows the Cloud Eye figures of the last run, true to its summary, and writes the report', async () => {
  // TMPDIR keeps the demo's report out of the one a person may have open.
  const { stdout, stderr } = await promisify(execFile)(process.execPath, ['dist/cli.js', 'demo'], { env: { ...process.env, NO_COLOR: '1', TMPDIR: dir } });
  expect(stderr).toBe('');
  const lines = stdout.split('\n');

  const summaries = lines.filter((line) => line.startsWith('  summary: ')).map((line) => JSON.parse(/^ {2}summary: (\{.*\}) {2}\(/.exec(line)![1]!) as { connections: number; metrics: string });
  expect(summaries).toHaveLength(7);
  for (const summary of summaries) expect(summary.metrics).toBe('sent');

  const title = lines.findIndex((line) => line.startsWith('Cloud Eye received '));
  expect(lines[title]).toBe('Cloud Eye received 24 metrics from run 7, namespace VPCEP.ConnectionMonitor:');
  expect(lines[title + 1]!.trim().split(/\s{2,}/)).toEqual(['service (service_id)', 'total', 'pending', 'failed', 'rejected', 'accepted', 'oldest pending (s)']);
  const rows = new Map(
    lines.slice(title + 2, title + 5).map((line) => {
      const [service, ...values] = line.trim().split(/\s{2,}/);
      return [service!.split(' ')[0]!, values.map(Number)] as const;
    }),
  );
  expect([...rows.keys()]).toEqual(['payments-api', 'orders-api', 'search-api']);
  expect([...rows.values()].reduce((sum, [total]) => sum + total!, 0)).toBe(summaries.at(-1)!.connections);
  // What the demo staged before its last run: one payments-api request left waiting since the start
  // (past the 3 s reminder), a failure and a rejection at orders-api, a failure and a new request at
  // search-api (and a consumer that walked in accepted with approval off); everything else accepted.
  const [, paymentsPending, , , , paymentsOldest] = rows.get('payments-api')!;
  expect(paymentsPending).toBe(1);
  expect(paymentsOldest).toBeGreaterThanOrEqual(3);
  expect(rows.get('orders-api')!.slice(1, 5)).toEqual([0, 1, 1, rows.get('orders-api')![0]! - 2]);
  expect(rows.get('search-api')!.slice(1, 5)).toEqual([1, 1, 0, rows.get('search-api')![0]! - 2]);
  expect(lines[title + 5]).toMatch(/^ {4}per run \(project_id=[0-9a-f]{8}…\): services_unreadable 0, alerts_undelivered 0, run_duration_ms \d+, run_skipped 0, services_without_approval 1, services_open_to_all 1$/);

  expect(stdout).toContain("and every run's figures reached Cloud Eye");
  const report = /Report written to (\S+): /.exec(stdout)![1]!;
  // In a folder of its own under the temporary directory.
  expect(report.startsWith(join(dir, 'vpcep-monitor-demo-'))).toBe(true);
  const page = readFileSync(report, 'utf8');
  expect(page).toContain('payments-api');
  // Who rejected, from CTS, and the doors opened during the demo.
  expect(page).toMatch(/<td data-label="By">alice\.ops/);
  expect(page).toContain('Connection approval: OFF');
  expect(page).toContain('Whitelist: open to every account (*)');
  expect(stdout).toMatch(/accepted -> rejected at \S+, by alice\.ops \(/);
  expect(stdout).toContain('1 door change (1 approval-off)');
  expect(stdout).toContain('door: whitelist opened to EVERY account (*)');
  expect(stdout).toMatch(/pendingAcceptance -> (creating|accepted) by bob\.ops from /);
});

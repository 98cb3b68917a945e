/**
 * The report in a real browser: the built `dist/cli.js report` reads a seeded trail from the local
 * cloud, headless Chromium opens the file, and the test checks what a reader sees and that the
 * page asked the network for nothing. Needs /usr/bin/chromium (`.ci/run` installs Debian's), so it
 * runs with `npm run test:browser`, not in `npm test`.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { type Browser, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LocalCloud } from '../../lib/emulator/index.js';
import { userDataFor } from '../e2e/harness.js';
import { seedTrail, type Step } from './seed-trail.js';

const CHROMIUM = '/usr/bin/chromium';
// Headless, and nothing of Chromium's own phoning home (updates, sync, field trials), so any
// request the test sees comes from the page.
const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'];
const credentials = { ak: 'BROWSERACCESSKEY0001', sk: 'browser-secret-key-0000000000000000001' };
const BUCKET = 'report-browser';
const HOSTILE = '<img src=x onerror="alert(document.domain)"></script>';

let cloud: LocalCloud;
let browser: Browser;
let dir: string;
let reportFile: string;
let stdout: string;

const services = { 'svc-pay': 'ap-southeast-1.payments-api.svc-pay', 'svc-ord': 'ap-southeast-1.orders-api.svc-ord' };
const steps: Step[] = [
  ...Array.from({ length: 12 }, (_, i): Step => ({ daysAgo: 20, serviceId: 'svc-pay', connectionId: `pay-${i}`, from: null, to: 'accepted' })),
  ...Array.from({ length: 5 }, (_, i): Step => ({ daysAgo: 20, serviceId: 'svc-ord', connectionId: `ord-${i}`, from: null, to: 'accepted' })),
  { daysAgo: 14, serviceId: 'svc-pay', connectionId: 'pay-new', from: null, to: 'pendingAcceptance', description: 'analytics team' },
  { daysAgo: 12, serviceId: 'svc-pay', connectionId: 'pay-new', from: 'pendingAcceptance', to: 'accepted' },
  { daysAgo: 9, serviceId: 'svc-pay', connectionId: 'pay-3', from: 'accepted', to: 'failed', errors: [{ code: 'EndPoint.2014', message: 'The subnet has no free IP addresses.' }] },
  { daysAgo: 6, serviceId: 'svc-ord', connectionId: 'ord-1', from: 'accepted', to: null },
  // Waiting 3 days and 4 hours when the report is written.
  { daysAgo: 3 + 4 / 24, serviceId: 'svc-pay', connectionId: 'pay-wait', domainId: 'c0ffee00c0ffee00c0ffee00c0ffee00', from: null, to: 'pendingAcceptance', description: HOSTILE },
];

/** Opens a file as a reader would, noting every request the page attempts (blocked ones too). */
async function open(page: Page, file: string): Promise<{ requests: string[]; failed: string[]; refused: string[]; dialogs: string[] }> {
  const requests: string[] = [];
  const failed: string[] = [];
  const refused: string[] = [];
  const dialogs: string[] = [];
  page.on('request', (request) => requests.push(request.url()));
  page.on('requestfailed', (request) => failed.push(request.url()));
  page.on('console', (message) => {
    if (/Refused|Content Security Policy/i.test(message.text())) refused.push(message.text());
  });
  page.on('dialog', (dialog) => {
    dialogs.push(dialog.message());
    void dialog.dismiss();
  });
  await page.goto(pathToFileURL(file).href, { waitUntil: 'load' });
  return { requests, failed, refused, dialogs };
}

beforeAll(async () => {
  cloud = await LocalCloud.start({ credentials: [credentials] });
  cloud.createBucket(BUCKET);
  seedTrail(cloud, BUCKET, services, steps, new Date(Date.now() - 30_000));
  dir = mkdtempSync(join(tmpdir(), 'report-browser-'));
  reportFile = join(dir, 'report.html');
  const env = {
    PATH: process.env.PATH,
    HUAWEICLOUD_SDK_AK: credentials.ak,
    HUAWEICLOUD_SDK_SK: credentials.sk,
    ...userDataFor(cloud, BUCKET),
    NO_COLOR: '1',
  };
  ({ stdout } = await promisify(execFile)(process.execPath, [resolve('dist/cli.js'), 'report', '--out', reportFile, '--since', '30d'], { env }));
  browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
});

afterAll(async () => {
  await browser?.close();
  await cloud?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('the report in Chromium', () => {
  it('shows each service by the name people know, its counts and its pending request\'s age', async () => {
    expect(stdout).toMatch(/^Report written to .*report\.html: 2 services, 22 changes/);
    const page = await browser.newPage({ viewport: { width: 1100, height: 900 } });
    const { requests, refused, dialogs } = await open(page, reportFile);

    await expect(page.getByRole('heading', { level: 2, name: 'payments-api' }).isVisible()).resolves.toBe(true);
    await expect(page.getByRole('heading', { level: 2, name: 'orders-api' }).isVisible()).resolves.toBe(true);
    const payments = page.locator('section.service', { has: page.getByRole('heading', { name: 'payments-api' }) });
    await expect(payments.locator('.counts').innerText()).resolves.toMatch(/14\s*total[\s\S]*12\s*accepted[\s\S]*1\s*failed[\s\S]*1\s*pendingAcceptance/);

    const waiting = payments.locator('table.pending tbody tr', { hasText: 'c0ffee00c0ffee00c0ffee00c0ffee00' });
    await expect(waiting.locator('td.waiting').innerText()).resolves.toBe('3d 4h');
    // The hostile description is text on the page, not an element, and nothing ran.
    await expect(waiting.getByText(HOSTILE).isVisible()).resolves.toBe(true);
    await expect(page.locator('img').count()).resolves.toBe(0);
    expect(dialogs).toEqual([]);

    await expect(payments.locator('table.failed').innerText()).resolves.toContain('EndPoint.2014 The subnet has no free IP addresses.');
    await expect(payments.locator('table.changes tbody tr').first().innerText()).resolves.toContain('pay-wait');

    expect(requests).toEqual([pathToFileURL(reportFile).href]);
    expect(refused).toEqual([]);
    await page.close();
  });

  it('draws the chart: one SVG series per status, with its steps, at a readable size', async () => {
    const page = await browser.newPage({ viewport: { width: 1100, height: 900 } });
    await open(page, reportFile);
    const chart = page.locator('section.service', { has: page.getByRole('heading', { name: 'payments-api' }) }).locator('figure.chart');
    const series = await chart.locator('.series').evaluateAll((nodes) =>
      nodes.map((node) => ({ status: node.getAttribute('data-status'), now: node.getAttribute('data-now'), max: node.getAttribute('data-max'), steps: (node.querySelector('path.line')?.getAttribute('d')?.match(/V/g) ?? []).length })),
    );
    // A step wherever the count moved, from the baseline on: accepted 12 → 13 → 12 (before the first
    // run there is no data, not 0), failed 0 → 1, pending 0 → 1 → 0 → 1.
    expect(series).toEqual([
      { status: 'accepted', now: '12', max: '13', steps: 2 },
      { status: 'failed', now: '1', max: '1', steps: 1 },
      { status: 'pendingAcceptance', now: '1', max: '1', steps: 3 },
    ]);
    const box = await chart.locator('.series svg').first().boundingBox();
    expect(box!.width).toBeGreaterThan(400);
    expect(box!.height).toBeGreaterThanOrEqual(30);
    await expect(chart.locator('.series').first().locator('title').textContent()).resolves.toBe('accepted: 12 now, between 12 and 13 in the period');
    // The trail began inside the 30-day period: the time before it is a no-data band, and it says so.
    const band = await chart.locator('.series rect.no-data').first().boundingBox();
    expect(band!.width).toBeGreaterThan(10);
    expect(band!.width).toBeLessThan(box!.width);
    await expect(chart.locator('.chart-note').textContent()).resolves.toMatch(/^No data before .*: the monitor's first run \(its baseline\) was then/);
    await expect(chart.locator('.series line.baseline-mark').count()).resolves.toBe(3);
    await page.close();
  });

  it('fits a phone\'s width without sideways scrolling', async () => {
    const page = await browser.newPage({ viewport: { width: 390, height: 844 }, isMobile: true, deviceScaleFactor: 2 });
    await open(page, reportFile);
    const { scrollWidth, clientWidth } = await page.evaluate(() => ({ scrollWidth: document.documentElement.scrollWidth, clientWidth: document.documentElement.clientWidth }));
    expect(scrollWidth).toBeLessThanOrEqual(clientWidth);
    // Rows become cards, each value beside its column's name, rather than columns squeezed thin.
    const row = page.locator('table.pending tbody tr').first();
    await expect(row.evaluate((tr) => getComputedStyle(tr).display)).resolves.toBe('block');
    await expect(row.locator('td.waiting').evaluate((td) => getComputedStyle(td, '::before').content)).resolves.toBe('"Waiting"');
    const cell = await row.locator('td.waiting').boundingBox();
    expect(cell!.width).toBeGreaterThan(300);
    await page.close();
  });

  it('would see a fetch if the page made one, and the page\'s own policy blocks it', async () => {
    // The controls for the checks above: a copy of the report with an image from a local server.
    let hits = 0;
    const server: Server = createServer((_req, res) => {
      hits += 1;
      res.end();
    });
    await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
    const pixel = `http://127.0.0.1:${(server.address() as AddressInfo).port}/pixel.png`;
    try {
      const html = readFileSync(reportFile, 'utf8').replace('<body>', `<body><img src="${pixel}" alt="">`);
      const withoutPolicy = join(dir, 'no-policy.html');
      writeFileSync(withoutPolicy, html.replace(/<meta http-equiv="Content-Security-Policy"[^>]*>/, ''));
      const open1 = await open(await browser.newPage(), withoutPolicy);
      expect(open1.requests).toContain(pixel);
      expect(hits).toBe(1);

      const withPolicy = join(dir, 'policy.html');
      writeFileSync(withPolicy, html);
      // Chromium reports the attempt, then fails it: the policy stops it before the network.
      const open2 = await open(await browser.newPage(), withPolicy);
      expect(open2.failed).toContain(pixel);
      expect(open2.refused.join('\n')).toContain('Content Security Policy');
      expect(hits).toBe(1);
    } finally {
      server.close();
    }
  });
});

/**
 * `npm run bench:report`: how long `vpcep-monitor report` takes on a large trail. Two shapes of
 * 100,000 audit records, written into the local cloud's OBS the way the monitor writes them:
 *
 * - a busy month: 100 services × 1,000 connections, 100,000 status changes spread over 8,640 runs
 *   (one every 5 minutes for 30 days), so 8,640 audit objects and a chart of thousands of steps;
 * - a big baseline: one service whose first run recorded 100,000 connections (10 objects of
 *   10,000 records, as `writeAudit` splits them).
 *
 * For each: the renderer alone, in this process (`buildReport` + `renderReport`, median of 3),
 * and the whole command (`node dist/cli.js report`, a fresh process reading OBS on loopback and
 * writing the file), with that process's peak RSS, and how long headless Chromium takes to load
 * the page (when /usr/bin/chromium exists). `--quick` runs a tenth of each. Prints a table and
 * writes bench/report-results.json (not with --quick).
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { chromium } from 'playwright-core';
import { LocalCloud } from '../lib/emulator/index.js';
import { type AuditRecord, writeAudit } from '../lib/monitor/audit.js';
import { auditKey } from '../lib/monitor/keys.js';
import type { ObjectStore } from '../lib/monitor/ports.js';
import { chunksOf } from '../lib/monitor/records.js';
import { emptyState, heldPageObjects, type MonitorState, putSnapshot, serializeState } from '../lib/monitor/state.js';
import { buildReport } from '../lib/report/report-model.js';
import { renderReport } from '../lib/report/render-report.js';

const ROOT = resolve(__dirname, '..');
const CLI = join(ROOT, 'dist', 'cli.js');
const CHROMIUM = '/usr/bin/chromium';
const RESULTS = join(ROOT, 'bench', 'report-results.json');
const QUICK = process.argv.includes('--quick');
const SCALE = QUICK ? 10 : 1;
const CREDENTIALS = { ak: 'REPORTBENCHKEY000001', sk: 'report-bench-secret-key-0000000000000001' };
const BUCKET = 'report-bench';
const PREFIX = 'vpcep-monitor/';
const DAY = 86_400_000;
const STATUS_CYCLE = ['accepted', 'failed', 'accepted', 'pendingAcceptance', 'accepted', 'rejected'];

interface Shape {
  name: string;
  services: number;
  connectionsPerService: number;
  records: number;
  runs: number;
}

const SHAPES: Shape[] = [
  { name: 'busy month', services: 100, connectionsPerService: 1_000 / SCALE, records: 100_000 / SCALE, runs: 8_640 / SCALE },
  { name: 'big baseline', services: 1, connectionsPerService: 100_000 / SCALE, records: 100_000 / SCALE, runs: 1 },
];

/** A small deterministic generator, so every run of the bench sees the same trail. */
function random(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state + 0x6d2b79f5) | 0;
    let t = Math.imul(state ^ (state >>> 15), 1 | state);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

/** The trail and the state its last run saved: the state is the trail applied, so the two agree. */
function world(shape: Shape, now: number): { state: MonitorState; runs: AuditRecord[][] } {
  const state = emptyState();
  const next = random(42);
  const cycle = new Map<string, number>();
  const runs: AuditRecord[][] = [];
  const baseline = shape.runs === 1;
  const lists = new Map<string, Map<string, { status: string; updatedAt: string; domainId: string }>>();
  for (let s = 0; s < shape.services; s++) {
    const connections = new Map<string, { status: string; updatedAt: string; domainId: string }>();
    // A busy month starts from connections seen before the period; a baseline records them in it.
    if (!baseline) for (let c = 0; c < shape.connectionsPerService; c++) connections.set(`conn-${s}-${c}`, { status: 'accepted', updatedAt: '2026-01-01T00:00:00Z', domainId: `domain-${c % 97}` });
    lists.set(`service-${s}`, connections);
  }
  for (let r = 0; r < shape.runs; r++) {
    const at = new Date(now - DAY * 30 + ((r + 1) * DAY * 30) / (shape.runs + 1)).toISOString();
    const run: AuditRecord[] = [];
    const count = Math.floor(((r + 1) * shape.records) / shape.runs) - Math.floor((r * shape.records) / shape.runs);
    for (let i = 0; i < count; i++) {
      const s = baseline ? 0 : Math.floor(next() * shape.services);
      const serviceId = `service-${s}`;
      const connections = lists.get(serviceId)!;
      const connectionId = baseline ? `conn-0-${i}` : `conn-${s}-${Math.floor(next() * shape.connectionsPerService)}`;
      const previous = connections.get(connectionId);
      const step = (cycle.get(connectionId) ?? 0) + 1;
      cycle.set(connectionId, step);
      const to = baseline ? 'accepted' : STATUS_CYCLE[step % STATUS_CYCLE.length]!;
      const domainId = previous?.domainId ?? `domain-${i % 97}`;
      connections.set(connectionId, { status: to, updatedAt: at, domainId });
      const failed = to === 'failed' ? { errors: [{ code: 'EndPoint.2014', message: 'The subnet has no free IP addresses.' }] } : {};
      run.push({ at, runId: `bench-${r}`, serviceId, serviceName: `ap-southeast-1.${serviceId}.${serviceId}`, connectionId, domainId, change: previous ? 'status' : 'added', from: previous?.status ?? null, to, eventId: `${r}-${i}`, raised: to !== 'accepted', ...failed });
    }
    if (run.length > 0) runs.push(run);
  }
  for (const [serviceId, connections] of lists) {
    putSnapshot(state, serviceId, `ap-southeast-1.${serviceId}.${serviceId}`, new Date(now).toISOString(), chunksOf([...connections].map(([id, c]) => ({ id, ...c }))));
    state.pending.set(serviceId, new Map([...connections].filter(([, c]) => c.status === 'pendingAcceptance').map(([id, c]) => [id, { since: c.updatedAt, notifiedAt: c.updatedAt }])));
  }
  state.savedAt = new Date(now).toISOString();
  return { state, runs };
}

async function measureShape(shape: Shape) {
  const now = Date.now() - 60_000;
  const { state, runs } = world(shape, now);
  const records = runs.flat();

  const renderMs: number[] = [];
  let pageBytes = 0;
  for (let i = 0; i < 3; i++) {
    const started = performance.now();
    const page = renderReport(buildReport({ now: new Date(), since: new Date(Date.now() - 31 * DAY), state, records }));
    renderMs.push(performance.now() - started);
    pageBytes = Buffer.byteLength(page);
  }

  const cloud = await LocalCloud.start({ credentials: [CREDENTIALS] });
  const dir = mkdtempSync(join(os.tmpdir(), 'report-bench-'));
  try {
    cloud.createBucket(BUCKET);
    for (const run of runs) await writeAudit(straightInto(cloud), auditKey(PREFIX, new Date(run[0]!.at), run[0]!.runId), run);
    for (const [key, body] of heldPageObjects(state, PREFIX)) cloud.putObject(BUCKET, key, body);
    state.held = [];
    cloud.putObject(BUCKET, `${PREFIX}state.json`, serializeState(state).join(''));
    const auditObjects = cloud.objectKeys(BUCKET, `${PREFIX}audit/`).length;
    // The child reports its own peak RSS (VmHWM) as it exits.
    const hook = join(dir, 'peak.cjs');
    writeFileSync(hook, "process.on('exit', () => { const m = /VmHWM:\\s+(\\d+)/.exec(require('fs').readFileSync('/proc/self/status', 'utf8')); require('fs').writeSync(2, `VmHWM ${m ? m[1] : 0}\\n`); });\n");
    const env = { PATH: process.env.PATH, HUAWEICLOUD_SDK_AK: CREDENTIALS.ak, HUAWEICLOUD_SDK_SK: CREDENTIALS.sk, HUAWEICLOUD_PROJECT_ID: cloud.projectId, OBS_BUCKET: BUCKET, SMN_TOPIC_URN: cloud.createTopic('alerts'), VPCEP_ENDPOINT: cloud.endpoints.vpcep, SMN_ENDPOINT: cloud.endpoints.smn, OBS_ENDPOINT: cloud.endpoints.obs, NO_COLOR: '1' };
    const out = join(dir, 'report.html');
    const started = performance.now();
    const { stdout, stderr } = await promisify(execFile)(process.execPath, ['--require', hook, CLI, 'report', '--out', out, '--since', '31d'], { env, maxBuffer: 1 << 20 });
    const commandMs = performance.now() - started;
    if (!stdout.includes(`${shape.records} changes`)) throw new Error(`the report did not read every record: ${stdout.trim()}`);
    const browserMs = await openInChromium(out);
    return {
      shape,
      auditObjects,
      renderMs: median(renderMs),
      pageKiB: Math.round(pageBytes / 1024),
      commandMs,
      commandPeakRssMiB: Math.round(Number(/VmHWM (\d+)/.exec(stderr)?.[1] ?? 0) / 1024),
      fileKiB: Math.round(statSync(out).size / 1024),
      browserMs,
      clamped: readFileSync(out, 'utf8').includes('disagree'),
    };
  } finally {
    await cloud.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Milliseconds for headless Chromium to load and lay out the page; `null` without /usr/bin/chromium. */
async function openInChromium(file: string): Promise<number | null> {
  if (!existsSync(CHROMIUM)) return null;
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'] });
  try {
    const page = await browser.newPage({ viewport: { width: 1100, height: 900 } });
    const started = performance.now();
    await page.goto(pathToFileURL(file).href, { waitUntil: 'load' });
    // Reading the page's height forces layout of the whole document, not just the first screen.
    await page.evaluate(() => document.documentElement.scrollHeight);
    return Math.round(performance.now() - started);
  } finally {
    await browser.close();
  }
}

/** Writes go straight into the local cloud's bucket: seeding 8,640 objects need not be signed. */
function straightInto(cloud: LocalCloud): ObjectStore {
  return {
    get: async () => undefined,
    getStream: async () => undefined,
    head: async () => undefined,
    put: async (key, body) => cloud.putObject(BUCKET, key, typeof body === 'string' ? body : body.join('')),
    delete: async () => {},
    list: async function* () {},
  };
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return Math.round(sorted[Math.floor(sorted.length / 2)]!);
}

async function main(): Promise<void> {
  const rows = [];
  for (const shape of SHAPES) rows.push(await measureShape(shape));
  const machine = { cpu: os.cpus()[0]?.model ?? 'unknown', cores: os.availableParallelism(), node: process.version, loadAverage1m: Math.round(os.loadavg()[0]! * 100) / 100 };
  console.log(`report bench, ${new Date().toISOString()}, ${machine.cpu}, ${machine.cores} cores, Node ${machine.node}, load ${machine.loadAverage1m}${QUICK ? ' (quick: a tenth of each shape)' : ''}`);
  console.log('| shape | records | audit objects | render (build + HTML) | page | command, end to end | its peak RSS | Chromium loads it |');
  console.log('| --- | --: | --: | --: | --: | --: | --: | --: |');
  for (const row of rows) {
    const { shape } = row;
    console.log(`| ${shape.name}: ${shape.services} × ${shape.connectionsPerService.toLocaleString('en-US')}, ${shape.runs.toLocaleString('en-US')} run(s) | ${shape.records.toLocaleString('en-US')} | ${row.auditObjects.toLocaleString('en-US')} | ${row.renderMs.toLocaleString('en-US')} ms | ${row.pageKiB.toLocaleString('en-US')} KiB | ${Math.round(row.commandMs).toLocaleString('en-US')} ms | ${row.commandPeakRssMiB} MiB | ${row.browserMs === null ? 'no chromium' : `${row.browserMs.toLocaleString('en-US')} ms`} |`);
    if (row.clamped) throw new Error(`${shape.name}: the chart found the trail and the state disagreeing; the generator is wrong`);
  }
  if (!QUICK) writeFileSync(RESULTS, `${JSON.stringify({ date: new Date().toISOString(), machine, rows }, null, 2)}\n`);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});

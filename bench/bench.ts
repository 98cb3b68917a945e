/**
 * `npm run bench`: the monitor against the floor and a naive peer, on the local cloud (loopback
 * only), at 100 services × 1,000 connections and 1 service × 100,000, then both again with a delay
 * on every VPCEP call; each shape's monitor passes are the baseline, quiet ones, one changed
 * connection and a 2% churn, with the OBS bytes each wrote. Then the curve: peak RSS, CPU and OBS
 * bytes written per pass from 100,000 to 1,000,000 connections. Writes bench/results.json (the
 * figures of docs/performance.md) and prints the tables. `--quick` runs small shapes and writes
 * nothing; `--only monitor|naive` skips the other; `--shape TEXT` runs the shapes whose name has
 * TEXT; `--curve` runs the curve alone, `--no-curve` leaves it out (each writes nothing).
 *
 * The local cloud lives in this (parent) process, warm. Every contender runs in a child process of
 * its own, so its peak RSS is its own and not the emulator's or another contender's; it reports
 * wall time and `resourceUsage().maxRSS` over IPC, and the parent counts the requests the cloud
 * received while it ran.
 */
import { execFile, fork, spawn, type StdioOptions } from 'node:child_process';
import { createRequire } from 'node:module';
import os from 'node:os';
import { statSync, writeFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { promisify } from 'node:util';
import { LocalCloud } from '../lib/emulator/index.js';
import { snapshotRoot } from '../lib/monitor/keys.js';
import { BUCKET, type CallCounts, changeOne, churn, countCalls, floorCalls, floorPass, type Handler, monitorPass, monitorUserData, naivePeerPass, seedWorld, type Shape, warmViews, type World } from './contenders.js';

const ROOT = resolve(__dirname, '..');
const BUNDLE = join(ROOT, 'dist', 'connection-monitor', 'index.js');
const RESULTS = join(ROOT, 'bench', 'results.json');

/**
 * FunctionGraph's smallest size gives the whole process 128 MB. Under a limit that small Node
 * gives V8 its minimum young generation (1 MiB semi-spaces), which `--max-semi-space-size=1`
 * reproduces; the old space is capped at 96 MiB so V8 collects before the container would kill
 * the process, leaving ~32 MiB for code, stacks and buffers. Peak RSS is checked against 128 MiB.
 */
const CHILD_EXEC_ARGV = ['--max-old-space-size=96', '--max-semi-space-size=1'];
/** For a contender that does not fit: what it needed, measured rather than left blank. */
const ROOMY_EXEC_ARGV = ['--max-old-space-size=512'];
const MEMORY_LIMIT_MIB = 128;
/** An assumed round trip per VPCEP call for the third shape; the real API's was not measured. */
const LATENCY_MS = 50;

const QUICK = process.argv.includes('--quick');
const argument = (flag: string): string | undefined => (process.argv.includes(flag) ? process.argv[process.argv.indexOf(flag) + 1] : undefined);
const ONLY = argument('--only');
const SHAPE = argument('--shape');
const CURVE_ONLY = process.argv.includes('--curve');
const NO_CURVE = process.argv.includes('--no-curve');
/** 2% churn: every 50th connection of every service, spread evenly over the pages. */
const CHURN_EVERY = 50;
/**
 * The handler's scan budget in FunctionGraph's longest invocation (functions/connection-monitor):
 * 900 s less the 1.5 s safety margin and the write reserve (a quarter of the time, at most 20 s).
 */
const SCAN_BUDGET_MS = 900_000 - 1_500 - 20_000;

interface BenchShape extends Shape {
  /** Delay the local cloud adds to every VPCEP call. */
  latencyMs?: number;
  /** At 10 connections per call the naive peer would take minutes here; its calls say enough. */
  naive: boolean;
  floorRuns: number;
  quietRuns: number;
}

const SHAPES: BenchShape[] = QUICK
  ? [
      { name: '10 × 1,000', services: 10, connectionsPerService: 1_000, naive: true, floorRuns: 3, quietRuns: 3 },
      { name: '1 × 10,000', services: 1, connectionsPerService: 10_000, naive: true, floorRuns: 3, quietRuns: 3 },
    ]
  : [
      { name: '100 × 1,000', services: 100, connectionsPerService: 1_000, naive: true, floorRuns: 5, quietRuns: 5 },
      { name: '1 × 100,000', services: 1, connectionsPerService: 100_000, naive: true, floorRuns: 5, quietRuns: 5 },
      { name: `100 × 1,000, +${LATENCY_MS} ms/call`, services: 100, connectionsPerService: 1_000, latencyMs: LATENCY_MS, naive: false, floorRuns: 3, quietRuns: 3 },
      { name: `1 × 100,000, +${LATENCY_MS} ms/call`, services: 1, connectionsPerService: 100_000, latencyMs: LATENCY_MS, naive: false, floorRuns: 3, quietRuns: 3 },
    ];
/** The curve: 1 × N up to a million, and a million as 10 × 100,000. */
const CURVE: Shape[] = QUICK
  ? [
      { name: '1 × 10,000', services: 1, connectionsPerService: 10_000 },
      { name: '1 × 25,000', services: 1, connectionsPerService: 25_000 },
      { name: '2 × 10,000', services: 2, connectionsPerService: 10_000 },
    ]
  : [
      { name: '1 × 100,000', services: 1, connectionsPerService: 100_000 },
      { name: '1 × 250,000', services: 1, connectionsPerService: 250_000 },
      { name: '1 × 500,000', services: 1, connectionsPerService: 500_000 },
      { name: '1 × 1,000,000', services: 1, connectionsPerService: 1_000_000 },
      { name: '10 × 100,000', services: 10, connectionsPerService: 100_000 },
    ];
const LOAD_SAMPLES = 15;

const CREDENTIALS = { ak: 'BENCHACCESSKEY0000001', sk: 'bench-secret-key-000000000000000000000001', securityToken: 'bench-security-token' };

type ChildTask =
  | { kind: 'floor'; world: World; inFlight?: number }
  | { kind: 'naive'; world: World; key: string }
  | { kind: 'monitor'; world: World; prefix: string; requestId: string; warm?: boolean; settings?: Record<string, string> };

/** `cpuMs`: user + system CPU of the child during the pass alone (not its start or module load). */
type ChildReportOk = { wallMs: number; cpuMs: number; maxRssKiB: number; result: unknown };
type ChildReport = ChildReportOk | { error: string };

interface Row {
  contender: string;
  execArgv: string[];
  /** Median over `runs`. */
  wallMs: number;
  /** Wall time over the floor's. */
  ratio: number;
  /** Median user + system CPU of the pass. */
  cpuMs: number;
  /** CPU over the floor's. */
  cpuRatio: number;
  calls: CallCounts;
  /** Services pages + ceil(n/1000) per service. */
  floorCalls: number;
  /** The largest over `runs`. */
  peakRssMiB: number;
  /** Bytes of what the contender keeps in OBS to compare with: the state object (and the monitor's page objects). */
  snapshotBytes: number | null;
  runs: number;
  failed?: string;
}

/** One shape of the curve: its seeding, and the floor and monitor passes at the 128 MB flags. */
interface CurvePoint extends Shape {
  connections: number;
  seedSeconds: number;
  rows: Row[];
}

/** The longest project one invocation reads, from a measured time per VPCEP call. */
interface LargestProject {
  from: string;
  msPerCall: number;
  maxInFlight: number;
  scanBudgetMs: number;
  connections: number;
  derivation: string;
}

if (process.argv[2] === '--child') {
  void child(JSON.parse(process.argv[3] ?? '{}') as ChildTask);
} else {
  main().catch((error: unknown) => {
    console.error(error);
    process.exitCode = 1;
  });
}

async function main(): Promise<void> {
  const started = performance.now();
  const loadBefore = os.loadavg()[0]!;
  const bundle = { path: relative(ROOT, BUNDLE), bytes: statSync(BUNDLE).size, ...(await measureLoad()) };
  const shapes = [];
  for (const shape of CURVE_ONLY ? [] : SHAPES.filter((candidate) => SHAPE === undefined || candidate.name.includes(SHAPE))) {
    const rows = await runShape(shape);
    const floor = rows[0]!;
    shapes.push({ ...shape, floorMsPerCall: round(floor.wallMs / floor.floorCalls), rows });
  }
  const curve: CurvePoint[] = [];
  // `--curve --shape '1 × 1,000,000'` runs that point of the curve alone.
  if (!NO_CURVE && (SHAPE === undefined || CURVE_ONLY)) for (const shape of CURVE.filter((candidate) => SHAPE === undefined || candidate.name.includes(SHAPE))) curve.push(await runCurvePoint(shape));
  const largestProject = largestProjectOf(shapes);
  const cpus = os.cpus();
  const results = {
    date: new Date().toISOString(),
    machine: {
      cpu: cpus[0]?.model ?? 'unknown',
      cores: os.availableParallelism(),
      memoryGiB: Math.round(os.totalmem() / 2 ** 30),
      node: process.version,
      os: `${os.platform()} ${os.release()}`,
      loadAverage1m: { before: round(loadBefore), after: round(os.loadavg()[0]!) },
    },
    method: {
      childExecArgv: CHILD_EXEC_ARGV,
      roomyExecArgv: ROOMY_EXEC_ARGV,
      memoryLimitMiB: MEMORY_LIMIT_MIB,
      note:
        'Each contender runs in a fresh child process; wall time and CPU (user + system, process.cpuUsage) cover ' +
        'the pass alone, not process start or module load. ' +
        'The monitor child loads only the function bundle. Wall and CPU times are medians; peak RSS is the largest VmHWM ' +
        '(the process image\'s own peak, unlike getrusage maxRSS, which inherits the parent\'s across fork and exec). ' +
        'The floor reads every page once, in order, at limit=1000, through the same VPCEP adapter. ' +
        `A contender that fails with ${CHILD_EXEC_ARGV.join(' ')} is run again with ${ROOMY_EXEC_ARGV.join(' ')} (rows marked roomy).`,
    },
    bundle,
    shapes,
    curve,
    largestProject,
    benchSeconds: Math.round((performance.now() - started) / 1000),
  };
  const partial = QUICK || ONLY !== undefined || SHAPE !== undefined || CURVE_ONLY || NO_CURVE;
  if (!partial) writeFileSync(RESULTS, `${JSON.stringify(results, null, 2)}\n`);
  console.log(report(results, partial));
}

type Outcome = { report?: ChildReportOk; error?: string; calls: CallCounts };

/** A seeded local cloud and how to run contenders against it, row by row. */
interface Session {
  cloud: LocalCloud;
  world: World;
  run: (task: ChildTask, execArgv?: string[]) => Promise<Outcome>;
  row: (contender: string, outcomes: Outcome[], snapshotKey?: string, execArgv?: string[]) => Row;
  seedSeconds: number;
}

async function openSession(shape: Shape): Promise<Session> {
  const cloud = await LocalCloud.start({ credentials: [CREDENTIALS] });
  const seeding = performance.now();
  const world = seedWorld(cloud, shape, CREDENTIALS);
  const seedSeconds = round((performance.now() - seeding) / 1000);
  const floor = floorCalls(Array.from({ length: shape.services }, () => shape.connectionsPerService));
  const run = async (task: ChildTask, execArgv = CHILD_EXEC_ARGV): Promise<Outcome> => {
    cloud.resetCalls();
    try {
      // A warm child says when its untimed first pass is over: its calls are not the pass's.
      const report = await runChild(task, execArgv, () => cloud.resetCalls());
      return { report, calls: countCalls(cloud.calls) };
    } catch (error) {
      return { error: (error as Error).message, calls: countCalls(cloud.calls) };
    }
  };
  const row = (contender: string, outcomes: Outcome[], snapshotKey?: string, execArgv = CHILD_EXEC_ARGV): Row => {
    const reports = outcomes.flatMap((o) => (o.report ? [o.report] : []));
    const failed = outcomes.find((o) => o.error !== undefined)?.error;
    // The monitor's snapshot is its state object and the page objects under snapshots/ beside it.
    const pages = snapshotKey?.endsWith('state.json') === true ? cloud.objectKeys(BUCKET, snapshotRoot(snapshotKey.slice(0, -'state.json'.length))) : [];
    const snapshot = snapshotKey === undefined ? undefined : [snapshotKey, ...pages].map((key) => cloud.getObject(BUCKET, key)).reduce<number | undefined>((sum, body) => (body === undefined ? sum : (sum ?? 0) + body.length), undefined);
    return {
      contender,
      execArgv,
      wallMs: round(median(reports.map((r) => r.wallMs))),
      ratio: 0,
      cpuMs: round(median(reports.map((r) => r.cpuMs))),
      cpuRatio: 0,
      calls: (outcomes.find((o) => o.report) ?? outcomes[0])?.calls ?? countCalls([]),
      floorCalls: floor,
      peakRssMiB: round(Math.max(0, ...reports.map((r) => r.maxRssKiB / 1024))),
      snapshotBytes: snapshot ?? null,
      runs: reports.length,
      ...(failed === undefined ? {} : { failed: `${outcomes.length - reports.length} of ${outcomes.length} failed: ${failed}` }),
    };
  };
  return { cloud, world, run, row, seedSeconds };
}

/** Ratios to the first row, the floor. */
function againstFloor(rows: Row[]): Row[] {
  const floorRow = rows[0]!;
  for (const entry of rows) {
    entry.ratio = Math.round((entry.wallMs / floorRow.wallMs) * 100) / 100;
    entry.cpuRatio = Math.round((entry.cpuMs / floorRow.cpuMs) * 100) / 100;
  }
  return rows;
}

/**
 * The monitor's baseline, then each pass of `passes`; returns the rows. A baseline that runs out
 * of memory in the 128 MB setting leaves its lease behind, as a crashed function would; it is run
 * again with room to spare under a fresh prefix, so the table shows what it needed and the passes
 * after it have a state to compare with.
 */
async function monitorRows(session: Session, quietRuns: number, options: { warm: boolean; fixedFour?: boolean }): Promise<Row[]> {
  const { world, run, row } = session;
  const rows: Row[] = [];
  let prefix = 'monitor/';
  const state = (): string => `${prefix}state.json`;
  const baseline = await run({ kind: 'monitor', world, prefix, requestId: 'baseline' });
  rows.push(row('monitor, baseline pass', [baseline], state()));
  if (baseline.error !== undefined) {
    prefix = 'monitor-roomy/';
    const roomy = await run({ kind: 'monitor', world, prefix, requestId: 'baseline-roomy' }, ROOMY_EXEC_ARGV);
    rows.push(row('monitor, baseline pass, roomy', [roomy], state(), ROOMY_EXEC_ARGV));
  }
  const quiets: Outcome[] = [];
  // Quiet passes change nothing, so they all compare with the one baseline's state.
  for (let i = 0; i < quietRuns; i++) quiets.push(await run({ kind: 'monitor', world, prefix, requestId: `quiet-${i}` }));
  rows.push(row('monitor, quiet pass', quiets, state()));
  if (options.fixedFour) {
    // The adaptive limit against the four in flight it replaced, on the same machine at the same time:
    // a ceiling of 4 is where the limit starts, so it stays there.
    const fixed: Outcome[] = [];
    for (let i = 0; i < quietRuns; i++) fixed.push(await run({ kind: 'monitor', world, prefix, requestId: `fixed-${i}`, settings: { MAX_IN_FLIGHT: '4' } }));
    rows.push(row('monitor, quiet pass, MAX_IN_FLIGHT=4', fixed, state()));
  }
  if (options.warm) {
    // FunctionGraph reuses a warm instance: its second pass no longer loads the OBS SDK, the
    // signer or Node's own modules. Measured as the second of two quiet passes in one process.
    const warm: Outcome[] = [];
    for (let i = 0; i < quietRuns; i++) warm.push(await run({ kind: 'monitor', world, prefix, requestId: `warm-${i}`, warm: true }));
    rows.push(row('monitor, quiet pass, warm instance', warm, state()));
  }
  // What a usual run writes: one connection changed since the last.
  changeOne(session.cloud, world);
  await warmViews(world);
  rows.push(row('monitor, one changed connection', [await run({ kind: 'monitor', world, prefix, requestId: 'one-change' })], state()));
  churn(session.cloud, world, CHURN_EVERY, 0);
  await warmViews(world);
  rows.push(row('monitor, 2% churn', [await run({ kind: 'monitor', world, prefix, requestId: 'churn' })], state()));
  // The worst a run meets: 2% of every service rejected at once, every one an alert to publish.
  churn(session.cloud, world, CHURN_EVERY, 'rejected');
  await warmViews(world);
  rows.push(row('monitor, alert storm (2% rejected)', [await run({ kind: 'monitor', world, prefix, requestId: 'storm' })], state()));
  return rows;
}

async function runShape(shape: BenchShape): Promise<Row[]> {
  const session = await openSession(shape);
  const { cloud, world, run, row } = session;
  try {
    // Warm the cloud: its sorted views, and its JIT on this payload.
    await floorPass(world);
    if (shape.latencyMs !== undefined) cloud.inject({ service: 'vpcep', kind: 'delay', ms: shape.latencyMs, times: Number.POSITIVE_INFINITY });

    const wanted = (group: string): boolean => ONLY === undefined || group.includes(ONLY);

    const rows: Row[] = [];
    const floorRuns: Outcome[] = [];
    for (let i = 0; i < shape.floorRuns; i++) floorRuns.push(await run({ kind: 'floor', world }));
    rows.push(row('floor (sequential, limit=1000)', floorRuns));
    const overlapped: Outcome[] = [];
    for (let i = 0; i < shape.floorRuns; i++) overlapped.push(await run({ kind: 'floor', world, inFlight: 4 }));
    rows.push(row('floor, 4 in flight', overlapped));

    if (wanted('monitor')) rows.push(...(await monitorRows(session, shape.quietRuns, { warm: true, fixedFour: shape.latencyMs !== undefined })));

    if (shape.naive && wanted('naive')) {
      const key = 'naive/state.json';
      for (const pass of ['first', 'quiet']) {
        const outcome = await run({ kind: 'naive', world, key });
        rows.push(row(`naive peer, ${pass} pass`, [outcome], key));
        if (outcome.error !== undefined) rows.push(row(`naive peer, ${pass} pass, roomy`, [await run({ kind: 'naive', world, key }, ROOMY_EXEC_ARGV)], key, ROOMY_EXEC_ARGV));
      }
    }
    return againstFloor(rows);
  } finally {
    await cloud.stop();
  }
}

/**
 * One point of the curve, every child with the 128 MB flags: the floor (its CPU is what the
 * monitor's is taken against), the baseline, a quiet pass, one changed connection and a 2% churn.
 * One run of each: at a million connections a pass takes tens of seconds.
 */
async function runCurvePoint(shape: Shape): Promise<CurvePoint> {
  const session = await openSession(shape);
  try {
    await floorPass(session.world);
    const rows = [session.row('floor (sequential, limit=1000)', [await session.run({ kind: 'floor', world: session.world })])];
    rows.push(...(await monitorRows(session, 1, { warm: false })));
    return { ...shape, connections: shape.services * shape.connectionsPerService, seedSeconds: session.seedSeconds, rows: againstFloor(rows) };
  } finally {
    await session.cloud.stop();
  }
}

/**
 * The largest project one invocation reads in FunctionGraph's 900 s: the scan budget over the
 * slower of the quiet and churn passes' wall time per VPCEP call, measured at 1 × 100,000 with
 * 50 ms per call (the adaptive limit at its ceiling most of the pass), one call per 1,000
 * connections. CPU is inside that figure: at 16 in flight the child is CPU-bound, not waiting.
 */
function largestProjectOf(shapes: readonly (BenchShape & { rows: Row[] })[]): LargestProject | undefined {
  const shape = shapes.find((candidate) => candidate.latencyMs !== undefined && candidate.services === 1);
  const passes = shape?.rows.filter((entry) => (entry.contender === 'monitor, quiet pass' || entry.contender === 'monitor, 2% churn') && entry.runs > 0) ?? [];
  if (shape === undefined || passes.length === 0) return undefined;
  const msPerCall = Math.max(...passes.map((entry) => entry.wallMs / entry.calls.vpcep));
  const connections = Math.floor(SCAN_BUDGET_MS / msPerCall) * 1000;
  return {
    from: shape.name,
    msPerCall: Math.round(msPerCall * 100) / 100,
    maxInFlight: 16,
    scanBudgetMs: SCAN_BUDGET_MS,
    connections,
    derivation:
      `scan budget ${SCAN_BUDGET_MS / 1000} s (900 s less the 1.5 s margin and the 20 s write reserve) / ${msPerCall.toFixed(2)} ms per VPCEP call ` +
      `(the slower of the quiet and 2% churn passes at ${shape.name}, wall time over calls, MAX_IN_FLIGHT 16, so ${shape.latencyMs} ms / 16 = ${((shape.latencyMs ?? 0) / 16).toFixed(2)} ms at best) ` +
      '× 1,000 connections per call. Memory is the curve\'s to show; the function\'s CPU share is assumed to be one core.',
  };
}

/**
 * Runs one contender in a fresh process. The floor and the naive peer are this file forked with
 * `--child`; the monitor is a bare `node -e` that loads only the function bundle, as FunctionGraph
 * would, so none of the bench's own code is in its RSS.
 */
function runChild(task: ChildTask, execArgv: string[], onWarm?: () => void): Promise<ChildReportOk> {
  return new Promise((resolvePromise, reject) => {
    const stdio: StdioOptions = ['ignore', 'ignore', 'inherit', 'ipc'];
    const proc = task.kind === 'monitor'
      ? spawn(process.execPath, [...execArgv, '-e', monitorChildScript(task)], { stdio })
      : fork(__filename, ['--child', JSON.stringify(task)], { execArgv, stdio });
    let report: ChildReport | undefined;
    proc.on('message', (message) => {
      if ((message as { warmed?: boolean }).warmed) {
        onWarm?.();
        proc.send?.({ go: true }); // only now may the timed pass start, so no call of it is lost
      } else report = message as ChildReport;
    });
    proc.on('error', reject);
    proc.on('exit', (code, signal) => {
      if (report && 'error' in report) reject(new Error(report.error));
      else if (report && code === 0) resolvePromise(report);
      else reject(new Error(`${task.kind} child exited with ${signal ?? `code ${code}`}${signal === 'SIGABRT' || code === 134 ? ' (JavaScript heap out of memory)' : ''}`));
    });
  });
}

async function child(task: ChildTask): Promise<void> {
  if (task.kind === 'monitor') throw new Error('the monitor runs in a bare node process, see monitorChildScript');
  const run = task.kind === 'floor' ? () => floorPass(task.world, task.inFlight) : () => naivePeerPass(task.world, task.key);
  let report: ChildReport;
  try {
    const started = performance.now();
    const cpu = process.cpuUsage();
    const result = await run();
    const wallMs = performance.now() - started;
    const { user, system } = process.cpuUsage(cpu);
    report = { wallMs, cpuMs: (user + system) / 1000, maxRssKiB: peakRssKiB(), result };
  } catch (error) {
    report = { error: `${task.kind}: ${(error as Error).message}` };
  }
  process.send?.(report, () => process.exit('error' in report ? 1 : 0));
}

/**
 * Source for a bare `node -e` that loads the bundle and builds a context with the methods
 * FunctionGraph's has (as lib/cli/function-context.ts does), with agency credentials. `body` runs
 * with `handler`, `context(requestId)`, `event` and `now()` in scope.
 */
function handlerScript(world: World, prefix: string, body: string, logLevel = 'info', settings: Record<string, string> = {}): string {
  return `
    const now = () => performance.now();
    const peakRssKiB = ${peakRssKiB.toString()};
    const t0 = now();
    const { handler } = require(${JSON.stringify(BUNDLE)});
    const loadMs = now() - t0;
    const userData = ${JSON.stringify({ ...monitorUserData(world, prefix, logLevel), ...settings })};
    const c = ${JSON.stringify(world.credentials)};
    const started = Date.now();
    const context = (requestId) => ({
      getRequestID: () => requestId,
      getRemainingTimeInMilliSeconds: () => 900000 - (Date.now() - started),
      getUserData: (key) => userData[key],
      getSecurityAccessKey: () => c.ak, getSecuritySecretKey: () => c.sk, getSecurityToken: () => c.securityToken,
    });
    const event = { version: 'v1.0', time: new Date().toISOString(), trigger_type: 'TIMER', trigger_name: 'bench', user_event: '' };
    ${body}`;
}

function monitorChildScript(task: Extract<ChildTask, { kind: 'monitor' }>): string {
  return handlerScript(task.world, task.prefix, `
    const warmUp = ${task.warm === true}
      ? handler(event, context(${JSON.stringify(`${task.requestId}-first`)})).then(() => new Promise((resolve) => { process.once('message', resolve); process.send({ warmed: true }); }))
      : Promise.resolve();
    warmUp.then(() => {
    const t1 = now();
    const cpu = process.cpuUsage();
    return handler(event, context(${JSON.stringify(task.requestId)})).then(
      (result) => {
        const used = process.cpuUsage(cpu);
        process.send({ wallMs: now() - t1, cpuMs: (used.user + used.system) / 1000, maxRssKiB: peakRssKiB(), result }, () => process.exit(0));
      },
    );
    }).catch((error) => process.send({ error: 'monitor: ' + error.message }, () => process.exit(1)));`, 'info', task.settings);
}

interface LoadFigures {
  /** require() of the bundle in a fresh node. */
  loadMs: number;
  /** The first invocation in that process (1 service × 10, quiet), then a second one. */
  firstInvocationMs: number;
  warmInvocationMs: number;
  /** Peak RSS of that process after both: what any pass costs before it holds any data. */
  runtimeRssMiB: number;
  samples: number;
}

/**
 * The bundle's require time in a fresh `node` (nothing else loaded), and what its first invocation
 * costs over a warm one: modules the adapters load at first use are paid there, not hidden.
 */
async function measureLoad(): Promise<LoadFigures> {
  const cloud = await LocalCloud.start({ credentials: [CREDENTIALS] });
  try {
    const world = seedWorld(cloud, { name: 'tiny', services: 1, connectionsPerService: 10 }, CREDENTIALS);
    const handler = createRequire(__filename)(BUNDLE).handler as Handler;
    await monitorPass(handler, world, 'load/', 'load-baseline', 'warn');
    const script = handlerScript(world, 'load/', `
      (async () => {
        const t1 = now();
        await handler(event, context('first'));
        const t2 = now();
        await handler(event, context('warm'));
        const t3 = now();
        process.stdout.write(JSON.stringify([loadMs, t2 - t1, t3 - t2, peakRssKiB() / 1024]));
      })();`, 'warn');
    const samples: number[][] = [];
    for (let i = 0; i < LOAD_SAMPLES; i++) {
      // No heap flags: the figure is the bundle's plain `require` time.
      const { stdout } = await promisify(execFile)(process.execPath, ['-e', script]);
      samples.push(JSON.parse(stdout) as number[]);
    }
    const at = (i: number): number => round(median(samples.map((s) => s[i]!)));
    return { loadMs: at(0), firstInvocationMs: at(1), warmInvocationMs: at(2), runtimeRssMiB: at(3), samples: LOAD_SAMPLES };
  } finally {
    await cloud.stop();
  }
}

/**
 * This process's own peak RSS in KiB. Not `resourceUsage().maxRSS`: Linux carries a parent's peak
 * across fork and exec into the child's, so every child of the (large) emulator process would
 * report at least the emulator's size. VmHWM belongs to the process image alone. Self-contained:
 * it is also inlined into the monitor's child script.
 */
function peakRssKiB(): number {
  try {
    const match = /VmHWM:\s*(\d+)\s*kB/.exec(require('node:fs').readFileSync('/proc/self/status', 'utf8'));
    if (match) return Number(match[1]);
  } catch {
    // not Linux
  }
  return process.resourceUsage().maxRSS;
}

function median(values: number[]): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

function round(value: number): number {
  return Math.round(value * 10) / 10;
}

function report(
  results: {
    machine: { cpu: string; cores: number; node: string; loadAverage1m: { before: number; after: number } };
    bundle: LoadFigures & { bytes: number };
    shapes: (BenchShape & { floorMsPerCall: number; rows: Row[] })[];
    curve: CurvePoint[];
    largestProject: LargestProject | undefined;
    benchSeconds: number;
  },
  partial: boolean,
): string {
  const { machine, bundle } = results;
  const header = ['shape', 'contender', 'wall ms', 'wall × floor', 'CPU ms', 'CPU × floor', 'VPCEP calls (floor)', 'whitelist reads + CTS queries', 'OBS writes', 'OBS bytes written', 'peak RSS MiB', 'snapshot bytes'];
  const table: string[][] = [header];
  const notes: string[] = [];
  for (const shape of results.shapes) {
    for (const row of shape.rows) {
      const none = row.runs === 0;
      table.push([
        shape.name,
        row.contender.replace(', roomy', ` (${row.execArgv.join(' ')})`),
        none ? 'failed' : row.wallMs.toFixed(0),
        none ? '—' : `${row.ratio.toFixed(2)}×`,
        none ? '—' : row.cpuMs.toFixed(0),
        none ? '—' : `${row.cpuRatio.toFixed(2)}×`,
        `${row.calls.vpcep} (${row.floorCalls})`,
        `${row.calls.whitelistReads} + ${row.calls.ctsQueries}`,
        String(row.calls.obsWrites),
        row.calls.obsBytesWritten.toLocaleString('en-US'),
        none ? '—' : row.peakRssMiB.toFixed(0),
        row.snapshotBytes === null ? '—' : row.snapshotBytes.toLocaleString('en-US'),
      ]);
      if (row.failed) notes.push(`${shape.name}, ${row.contender}: ${row.failed}`);
    }
  }
  const curveHeader = ['connections', 'shape', 'pass', 'wall ms', 'CPU ms', 'CPU × floor', 'peak RSS MiB', `≤ ${MEMORY_LIMIT_MIB} MiB`, 'OBS writes', 'OBS bytes written'];
  const curveTable: string[][] = [curveHeader];
  for (const point of results.curve) {
    for (const row of point.rows) {
      const none = row.runs === 0;
      curveTable.push([
        point.connections.toLocaleString('en-US'),
        point.name,
        row.contender.replace(', roomy', ` (${row.execArgv.join(' ')})`),
        none ? 'failed' : row.wallMs.toFixed(0),
        none ? '—' : row.cpuMs.toFixed(0),
        none ? '—' : `${row.cpuRatio.toFixed(2)}×`,
        none ? '—' : row.peakRssMiB.toFixed(0),
        none ? 'no' : row.peakRssMiB <= MEMORY_LIMIT_MIB ? 'yes' : 'no',
        String(row.calls.obsWrites),
        row.calls.obsBytesWritten.toLocaleString('en-US'),
      ]);
      if (row.failed) notes.push(`curve ${point.name}, ${row.contender}: ${row.failed}`);
    }
  }
  const markdown = (rows: string[][]): string[] => {
    const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
    const numeric = (i: number): boolean => rows.slice(1).every((r) => /^[\d,.×—-]+$|^failed$|^yes$|^no$/.test(r[i]!));
    const line = (r: string[]): string => `| ${r.map((cell, i) => (numeric(i) ? cell.padStart(widths[i]!) : cell.padEnd(widths[i]!))).join(' | ')} |`;
    const rule = `|${widths.map((w, i) => (numeric(i) ? `${'-'.repeat(w + 1)}:` : '-'.repeat(w + 2))).join('|')}|`;
    return [line(rows[0]!), rule, ...rows.slice(1).map(line)];
  };
  const largest = results.largestProject;
  return [
    `${machine.cpu}, ${machine.cores} cores, Node ${machine.node}, load average ${machine.loadAverage1m.before} → ${machine.loadAverage1m.after}; ` +
      `children run with ${CHILD_EXEC_ARGV.join(' ')} (limit ${MEMORY_LIMIT_MIB} MiB)`,
    '',
    ...(results.shapes.length > 0 ? markdown(table) : []),
    ...(results.curve.length > 0
      ? ['', `The curve (children with ${CHILD_EXEC_ARGV.join(' ')}; seeding the local cloud: ${results.curve.map((p) => `${p.name} ${p.seedSeconds} s`).join(', ')})`, '', ...markdown(curveTable)]
      : []),
    ...notes.map((note) => `  ! ${note}`),
    '',
    ...(largest === undefined ? [] : [`Largest project in one 900 s invocation at 50 ms per call: ${largest.connections.toLocaleString('en-US')} connections (${largest.derivation})`]),
    `Floor per VPCEP call: ${results.shapes.map((s) => `${s.name} ${s.floorMsPerCall.toFixed(1)} ms`).join('; ')}`,
    `Bundle ${(bundle.bytes / 1024).toFixed(0)} KiB: load ${bundle.loadMs} ms (median of ${bundle.samples}, fresh node); ` +
      `first invocation ${bundle.firstInvocationMs} ms, warm ${bundle.warmInvocationMs} ms, runtime RSS ${bundle.runtimeRssMiB} MiB (1 service × 10, quiet)`,
    `Bench took ${results.benchSeconds} s${partial ? ' (partial run: bench/results.json not written)' : `; results in ${relative(process.cwd(), RESULTS)}`}`,
  ].join('\n');
}

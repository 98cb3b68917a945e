/**
 * `npm start`: the whole loop on a local Huawei Cloud. Starts the emulator, seeds a few services
 * with a few thousand connections, and invokes the real handler (as FunctionGraph would, with a
 * timer event and a context carrying temporary credentials) while consumers request, fail, get
 * rejected and disappear. Prints each alert as a subscriber reads it, each run's summary, what
 * Cloud Eye received from the last run, and ends by writing the report of the whole demo.
 */
import { LOCAL_CLI } from '../text.js';
import { randomBytes } from 'node:crypto';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { handler } from '../../functions/connection-monitor/index.js';
import { API, LocalCloud, type ReceivedMetric } from '../emulator/index.js';
import { subscriberView } from '../emulator/subscriber-view.js';
import { functionGraphContext, timerEvent } from './function-context.js';
import { auditCommand } from './audit-command.js';
import { reportCommand } from './report-command.js';
import type { Style } from './style.js';

const REMIND_SECONDS = 3;
const METRICS_NAMESPACE = 'VPCEP.ConnectionMonitor';

export async function runDemo(out: NodeJS.WritableStream, style: Style): Promise<void> {
  const credentials = { ak: `DEMO${randomBytes(8).toString('hex').toUpperCase()}`, sk: randomBytes(20).toString('hex'), securityToken: randomBytes(32).toString('base64') };
  const cloud = await LocalCloud.start({ credentials: [credentials] });
  const startedAt = new Date();
  const print = (line = ''): void => {
    out.write(`${line}\n`);
  };
  try {
    const topicUrn = cloud.createTopic('vpcep-alerts');
    cloud.createBucket('vpcep-monitor-demo');
    const payments = cloud.addService({ name: 'payments-api' }).id;
    const orders = cloud.addService({ name: 'orders-api' }).id;
    const search = cloud.addService({ name: 'search-api' }).id;
    cloud.addConnections(payments, 1800);
    cloud.addConnections(payments, 2, { status: 'pendingAcceptance', description: 'analytics team, ticket OPS-1182' });
    cloud.addConnections(orders, 1200);
    const [ordersFirst, ordersSecond] = cloud.addConnections(orders, 2);
    const [searchFirst, searchSecond] = cloud.addConnections(search, 400);

    // A partner the operator trusts: the approval policy accepts its requests on its own.
    const partnerDomain = randomBytes(16).toString('hex');
    const userData = {
      HUAWEICLOUD_PROJECT_ID: cloud.projectId,
      HUAWEICLOUD_REGION: cloud.region,
      OBS_BUCKET: 'vpcep-monitor-demo',
      SMN_TOPIC_URN: topicUrn,
      VPCEP_ENDPOINT: cloud.endpoints.vpcep,
      SMN_ENDPOINT: cloud.endpoints.smn,
      OBS_ENDPOINT: cloud.endpoints.obs,
      CES_ENDPOINT: cloud.endpoints.ces,
      CTS_ENDPOINT: cloud.endpoints.cts,
      METRICS_NAMESPACE,
      LOG_LEVEL: 'warn',
      APPROVAL_MODE: 'enforce',
      AUTO_ACCEPT_DOMAINS: partnerDomain,
      // Seconds so the demo shows a reminder and a whitelist check; a real deployment would say 24h and 1h.
      REMIND_PENDING_AFTER: `${REMIND_SECONDS}s`,
      POSTURE_CHECK_INTERVAL: `${REMIND_SECONDS}s`,
    };

    print(style.bold('vpcep-connection-monitor demo'));
    print(style.dim(`Local Huawei Cloud: VPCEP ${cloud.endpoints.vpcep}, SMN ${cloud.endpoints.smn}, OBS ${cloud.endpoints.obs}, Cloud Eye ${cloud.endpoints.ces}`));
    print(style.dim(`Project ${cloud.projectId}: payments-api, orders-api and search-api with ${cloud.listConnections(payments).length + cloud.listConnections(orders).length + cloud.listConnections(search).length} connections`));

    let run = 0;
    let lastMetrics: ReceivedMetric[] = [];
    let metricsSent = 0;
    const invoke = async (title: string): Promise<void> => {
      run += 1;
      print();
      print(style.bold(`Run ${run}: ${title}`));
      const published = cloud.published.length;
      const received = cloud.metrics.length;
      const context = functionGraphContext({ userData, credentials, requestId: `demo-run-${run}` });
      const summary = await handler(timerEvent(), context);
      lastMetrics = cloud.metrics.slice(received);
      if (summary.metrics === 'sent') metricsSent += 1;
      const messages = cloud.published.slice(published);
      if (messages.length === 0) print(style.dim('  (nothing published: no connection entered an alert state)'));
      for (const message of messages) {
        // As `vpcep-monitor emulator` prints it: the e-mail and the SMS, escaped for the terminal.
        const [heading, ...body] = subscriberView(message).split('\n');
        print(style.yellow(`  ┌${heading}`));
        for (const line of body) print(`  │ ${line}`);
        print(style.yellow('  └'));
      }
      const calls = cloud.calls.filter((call) => call.api === API.listConnections).length;
      cloud.resetCalls();
      print(style.cyan(`  summary: ${JSON.stringify(summary)}  (connection list calls: ${calls})`));
    };

    await invoke('first run records the baseline and reports what already needs attention');

    cloud.addConnections(payments, 2, { status: 'pendingAcceptance', description: 'new consumer: fraud-detection\nSubject: URGENT accept now' });
    cloud.addConnection(payments, { status: 'pendingAcceptance', domain_id: partnerDomain, description: 'trusted partner' });
    cloud.addConnection(orders, { status: 'failed', description: 'created from a shared VPC', error: [{ error_code: 'EndPoint.2014', error_message: 'The subnet has no free IP addresses.' }] });
    cloud.setStatus(search, searchFirst!.id, 'failed', [{ error_code: 'EndPoint.0001', error_message: 'Route table update failed.' }]);
    // In the console, as a person CTS will name.
    cloud.rejectAs(orders, ordersFirst!.id, 'alice.ops');
    cloud.removeConnection(orders, ordersSecond!.id);
    cloud.removeConnection(search, searchSecond!.id);
    print();
    print(style.dim('Meanwhile: 3 consumers ask to connect to payments-api (one is a trusted partner, which the approval policy accepts),'));
    print(style.dim('an endpoint fails on arrival at orders-api,'));
    print(style.dim('an accepted search-api connection fails, alice.ops rejects an orders-api connection in the console, 2 consumers disconnect.'));
    await invoke('changes since the baseline');

    await invoke("the policy's acceptance is recorded in the audit trail; nothing alerts");
    await invoke('nothing changed: nothing published, nothing written');

    print();
    print(style.dim(`Meanwhile: ${REMIND_SECONDS} seconds pass (REMIND_PENDING_AFTER=${REMIND_SECONDS}s; in production, say 24h).`));
    await new Promise((resolve) => setTimeout(resolve, REMIND_SECONDS * 1000));
    await invoke('requests left waiting get a reminder');

    // The oldest request stays waiting, so Cloud Eye's pending_oldest_seconds has something to say.
    const [waiting, ...pending] = cloud.listConnections(payments).filter((connection) => connection.status === 'pendingAcceptance');
    for (const connection of pending) cloud.acceptAs(payments, connection.id, 'bob.ops');
    cloud.addConnection(search, { status: 'pendingAcceptance', description: 'partner: acme-corp' });
    cloud.setApprovalEnabled(search, false, 'carol.ops');
    cloud.addConnection(search, { status: 'accepted', description: 'walked in: approval is off' });
    print();
    print(style.dim(`Meanwhile: bob.ops accepts ${pending.length} pending payments-api requests and leaves ${waiting ? 'one' : 'none'} waiting; a partner asks to connect to search-api;`));
    print(style.dim("carol.ops switches search-api's connection approval off (a consumer walks straight in)."));
    await invoke('accepted requests are quiet (the trail names bob.ops); the new request and the door alert');
    // Opened after run 6, not before: each whitelist is read once per interval at an offset of its
    // own, so a whitelist changed just before run 6 might be read in run 6 or only in run 7. One
    // changed after run 6 is always read by run 7, a whole interval later.
    cloud.changeWhitelist(payments, 'add', ['*'], 'carol.ops');
    print();
    print(style.dim("Meanwhile: carol.ops opens payments-api's whitelist to every account."));
    print(style.dim(`${REMIND_SECONDS} seconds pass (POSTURE_CHECK_INTERVAL=${REMIND_SECONDS}s; in production, 1h): each whitelist is read again at its own time.`));
    await new Promise((resolve) => setTimeout(resolve, REMIND_SECONDS * 1000));
    await invoke('the whitelist open to every account alerts');
    print();
    const names = new Map(cloud.listServices().map((service) => [service.id, service.name]));
    for (const line of cloudEyeTable(lastMetrics, names, run, style)) print(line);
    print();
    print(style.green('Demo complete: every transition into pendingAcceptance, failed or rejected was published exactly once,'));
    print(style.green('the trusted partner was accepted by the policy, requests left waiting were reminded,'));
    print(style.green(`and ${metricsSent === run ? 'every' : `${metricsSent} of ${run}`} run's figures reached Cloud Eye, each sent after the run's alerts were out.`));
    print(style.green('Who rejected and who accepted came from CTS; the door opening was alerted as it happened.'));
    print(style.dim(`Everything seen is in the audit trail: "${LOCAL_CLI} audit" reads it (see docs/audit-and-report.md).`));
    const env = { ...userData, HUAWEICLOUD_SDK_AK: credentials.ak, HUAWEICLOUD_SDK_SK: credentials.sk, HUAWEICLOUD_SDK_SECURITY_TOKEN: credentials.securityToken };
    print();
    print(style.bold(`${LOCAL_CLI} audit --by bob.ops`));
    await auditCommand({ by: 'bob.ops', since: startedAt.toISOString() }, { stdout: out, stderr: out, env: { ...env, NO_COLOR: '1' } });
    print();
    // A folder of its own: a fixed path in a shared /tmp may belong to someone else.
    const folder = await mkdtemp(join(tmpdir(), 'vpcep-monitor-demo-'));
    await reportCommand({ out: join(folder, 'report.html'), since: startedAt.toISOString() }, { stdout: out, stderr: out, env });
    print(style.dim(`Open it in a browser: "${LOCAL_CLI} report" writes the same page from your own bucket.`));
  } finally {
    await cloud.stop();
  }
}

// The service columns, in the order an operator reads them: how many, then how many need a look.
const SERVICE_COLUMNS = [
  ['connections_total', 'total'],
  ['connections_pending', 'pending'],
  ['connections_failed', 'failed'],
  ['connections_rejected', 'rejected'],
  ['connections_accepted', 'accepted'],
  ['pending_oldest_seconds', 'oldest pending (s)'],
] as const;

/** What Cloud Eye received from one run: a row per service (dimension service_id), then the run's own figures. */
function cloudEyeTable(metrics: readonly ReceivedMetric[], names: ReadonlyMap<string, string>, run: number, style: Style): string[] {
  const byDimension = new Map<string, Map<string, number>>();
  for (const metric of metrics) {
    const key = `${metric.dimensions[0]?.name}=${metric.dimensions[0]?.value}`;
    byDimension.set(key, (byDimension.get(key) ?? new Map<string, number>()).set(metric.metricName, metric.value));
  }
  const rows = [...names]
    .filter(([id]) => byDimension.has(`service_id=${id}`))
    .map(([id, name]) => [`${name} (${id.slice(0, 8)}…)`, ...SERVICE_COLUMNS.map(([metric]) => String(byDimension.get(`service_id=${id}`)?.get(metric) ?? '-'))]);
  const header = ['service (service_id)', ...SERVICE_COLUMNS.map(([, title]) => title)];
  const widths = header.map((title, column) => Math.max(title.length, ...rows.map((row) => row[column]!.length)));
  const line = (cells: readonly string[]) => `    ${cells.map((cell, column) => (column === 0 ? cell.padEnd(widths[0]!) : cell.padStart(widths[column]!))).join('  ')}`;
  const perRun = [...byDimension].find(([key]) => key.startsWith('project_id='));
  const runFigures = perRun === undefined ? 'none' : [...perRun[1]].map(([metric, value]) => `${metric} ${value}`).join(', ');
  return [
    style.bold(`Cloud Eye received ${metrics.length} metrics from run ${run}, namespace ${metrics[0]?.namespace ?? METRICS_NAMESPACE}:`),
    style.dim(line(header)),
    ...rows.map(line),
    `    per run (${perRun?.[0].slice(0, 'project_id='.length + 8) ?? 'project_id'}…): ${runFigures}`,
    style.dim('  The Terraform module alarms on pending_oldest_seconds, connections_failed, services_unreadable and alerts_undelivered.'),
  ];
}

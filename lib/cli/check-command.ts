/**
 * `vpcep-monitor check`: a deployment's wiring, verified before the first timer fires. Read-only
 * (Cloud Eye gets one datum only with --write-metric), one line per item with ✓ or ✗ and, for a ✗,
 * the fix. Exit 0 only when every item holds.
 */
import { type Config, loadConfig, SETTINGS, settingSource } from '../config.js';
import { ENVIRONMENT_LIMIT, environmentLength } from '../config-values.js';
import { formatDuration } from '../duration.js';
import { UNLIMITED } from '../huaweicloud/budget.js';
import { CesClient } from '../huaweicloud/ces.js';
import { CtsClient } from '../huaweicloud/cts.js';
import { resolveCredentials } from '../huaweicloud/credentials.js';
import { ApiError, CloudError, NetworkError, NoSuchBucketError } from '../huaweicloud/errors.js';
import { ObsStore } from '../huaweicloud/obs.js';
import type { RetryPolicy } from '../huaweicloud/retry.js';
import { SignedClient } from '../huaweicloud/signed-client.js';
import { SmnClient } from '../huaweicloud/smn.js';
import { type EndpointService, VpcepClient } from '../huaweicloud/vpcep.js';
import { IAM_ACTIONS } from '../huaweicloud/iam-actions.js';
import { type Io, oneLine } from './command.js';
import { noStateText, prefixesWithState, readStoredState } from './stored-state.js';
import { styleFor } from './style.js';

// A person waits for the answer: one retry at most, and no call longer than ten seconds.
const CHECK_RETRY: RetryPolicy = { retries: 1, minDelayMs: 200, maxDelayMs: 1_000, requestTimeoutMs: 10_000 };

interface Line {
  /** `skip`: not checked, and not a failure (metrics off, or no --write-metric). */
  result: 'ok' | 'fail' | 'skip';
  item: string;
  text: string;
  fix?: string;
}

export async function checkCommand(writeMetric: boolean, io: Io, now: Date = new Date()): Promise<number> {
  const style = styleFor(io.stdout, io.env);
  const lines: Line[] = [];
  const print = (line: Line): void => {
    lines.push(line);
    const mark = line.result === 'ok' ? style.green('✓') : line.result === 'fail' ? style.red('✗') : style.dim('-');
    io.stdout.write(`${mark} ${line.item}: ${line.text}${line.fix ? `; fix: ${line.fix}` : ''}\n`);
  };

  const read = settingSource(undefined, io.env);
  let config: Config;
  try {
    config = loadConfig(read);
  } catch (error) {
    // The parser also refuses settings over FunctionGraph's 4 KB, naming the largest one.
    print({ result: 'fail', item: 'settings', text: oneLine(error), fix: 'set it as docs/configuration.md describes; shorten the longest lists (VPCEP_SERVICE_IDS, AUTO_ACCEPT_DOMAINS) if they are too long together' });
    return 1;
  }
  const length = environmentLength(SETTINGS.map((setting) => setting.name), read);
  print({ result: 'ok', item: 'settings', text: `parsed; ${length} characters of FunctionGraph's ${ENVIRONMENT_LIMIT} for environment variables` });
  let credentials;
  try {
    credentials = resolveCredentials(undefined, io.env);
  } catch (error) {
    print({ result: 'fail', item: 'credentials', text: oneLine(error), fix: 'export HUAWEICLOUD_SDK_AK and HUAWEICLOUD_SDK_SK (and HUAWEICLOUD_SDK_SECURITY_TOKEN for temporary keys)' });
    return 1;
  }
  const client = (endpoint: string) => new SignedClient({ endpoint, credentials, budget: UNLIMITED, retry: CHECK_RETRY });

  print(regionLine(config));
  print(await bucketLine(config, new ObsStore({ endpoint: config.endpoints.obs, bucket: config.obsBucket, credentials, budget: UNLIMITED, retry: CHECK_RETRY }), now));
  print(await topicLine(config, new SmnClient(client(config.endpoints.smn), config.projectId, config.smnTopicUrn)));
  const vpcep = new VpcepClient(client(config.endpoints.vpcep), config.projectId, client(config.endpoints.vpcep));
  const listed = await vpcepLine(config, vpcep);
  print(listed.line);
  print(await whitelistLine(config, vpcep, listed.services));
  print(await ctsLine(config, new CtsClient(client(config.endpoints.cts), config.projectId), now));
  print(await metricsLine(config, writeMetric, () => new CesClient(client(config.endpoints.ces), config.projectId), now));

  const failed = lines.filter((line) => line.result === 'fail').length;
  io.stdout.write(failed === 0 ? 'All checks passed.\n' : `${failed} check(s) failed.\n`);
  return failed === 0 ? 0 : 1;
}

/** The topic's region (and project) against the region the monitor works in and its endpoints. */
function regionLine(config: Config): Line {
  const [, , urnRegion, urnProject] = config.smnTopicUrn.split(':');
  if (urnRegion !== config.region) {
    return { result: 'fail', item: 'region', text: `SMN_TOPIC_URN is in ${urnRegion}, but the monitor works in ${config.region} (HUAWEICLOUD_REGION)`, fix: 'use a topic of the same region, or set HUAWEICLOUD_REGION to the region of the endpoint services' };
  }
  if (urnProject !== config.projectId) {
    return { result: 'fail', item: 'region', text: `SMN_TOPIC_URN belongs to project ${urnProject}, but HUAWEICLOUD_PROJECT_ID is ${config.projectId}`, fix: "use the project of the topic's region in HUAWEICLOUD_PROJECT_ID" };
  }
  // An official endpoint names its region: `vpcep.eu-west-101.myhuaweicloud.eu`.
  for (const [setting, endpoint] of [['VPCEP_ENDPOINT', config.endpoints.vpcep], ['SMN_ENDPOINT', config.endpoints.smn], ['OBS_ENDPOINT', config.endpoints.obs], ['CES_ENDPOINT', config.endpoints.ces], ['CTS_ENDPOINT', config.endpoints.cts]] as const) {
    const host = new URL(endpoint).hostname;
    const named = /^[a-z]+\.([a-z]{2,}(?:-[a-z0-9]+)+)\.myhuaweicloud\./.exec(host)?.[1];
    if (named !== undefined && named !== config.region) {
      return { result: 'fail', item: 'region', text: `${setting} ${host} is in ${named}, not ${config.region}`, fix: `unset ${setting} (the default follows the region) or point it at ${config.region}` };
    }
  }
  return { result: 'ok', item: 'region', text: `${config.region}, project ${config.projectId}: the topic and every endpoint agree` };
}

async function bucketLine(config: Config, store: ObsStore, now: Date): Promise<Line> {
  const item = `bucket ${config.obsBucket}`;
  try {
    const found = await readStoredState(store, config);
    if (found) {
      const age = now.getTime() - Date.parse(found.state.savedAt);
      return { result: 'ok', item, text: `state at ${found.key}: generation ${found.state.generation}, saved ${formatDuration(age)} ago (${found.state.savedAt})` };
    }
    const prefixes = await prefixesWithState(store, config.obsPrefix);
    if (prefixes.length > 0) return { result: 'fail', item, text: noStateText(config, prefixes), fix: `set OBS_PREFIX to the prefix the function uses (one of ${prefixes.map((p) => `"${p}"`).join(', ')})` };
    return { result: 'ok', item, text: `exists and readable under "${config.obsPrefix}"; no state yet: the first run records the baseline` };
  } catch (error) {
    if (error instanceof NoSuchBucketError) return { result: 'fail', item, text: oneLine(error), fix: 'set OBS_BUCKET to the bucket "terraform output" names, in the region of OBS_ENDPOINT' };
    return { result: 'fail', item, text: oneLine(error), fix: fixFor(error, 'obs:object:GetObject and obs:bucket:ListBucket on the bucket') };
  }
}

async function topicLine(config: Config, smn: SmnClient): Promise<Line> {
  const item = 'topic';
  try {
    const topic = await smn.getTopic();
    return { result: 'ok', item, text: `${topic.name} exists (${topic.topicUrn})` };
  } catch (error) {
    const code = error instanceof ApiError ? error.code : undefined;
    if (code === 'SMN.0006') return { result: 'fail', item, text: `no topic ${config.smnTopicUrn} (${oneLine(error)})`, fix: 'create it (terraform apply does) or set SMN_TOPIC_URN to one that exists' };
    if (code === 'SMN.0005') return { result: 'fail', item, text: `SMN refuses the URN ${config.smnTopicUrn} (${oneLine(error)})`, fix: 'copy SMN_TOPIC_URN from "terraform output" or the SMN console; its region and project must be the endpoint\'s' };
    return { result: 'fail', item, text: oneLine(error), fix: fixFor(error, 'smn:topic:get (check only; the function needs smn:topic:publish)') };
  }
}

/** The listing, and the services it shows that the monitor watches (for the whitelist line). */
async function vpcepLine(config: Config, vpcep: VpcepClient): Promise<{ line: Line; services: EndpointService[] | undefined }> {
  const item = 'VPCEP';
  try {
    const services = await vpcep.listServices();
    const watched = config.serviceIds.length > 0 ? services.filter((service) => config.serviceIds.includes(service.id)) : services;
    const missing = config.serviceIds.filter((id) => !services.some((service) => service.id === id));
    if (missing.length > 0) {
      return { services: watched, line: { result: 'fail', item, text: `lists ${services.length} endpoint service(s), but not ${missing.join(', ')} of VPCEP_SERVICE_IDS`, fix: 'remove the ids of deleted services from VPCEP_SERVICE_IDS, or check HUAWEICLOUD_PROJECT_ID' } };
    }
    const which = config.serviceIds.length > 0 ? `, ${config.serviceIds.length} of them watched (VPCEP_SERVICE_IDS)` : ', all of them watched';
    return { services: watched, line: { result: 'ok', item, text: `lists ${services.length} endpoint service(s)${which}` } };
  } catch (error) {
    return { services: undefined, line: { result: 'fail', item, text: oneLine(error), fix: fixFor(error, 'vpcep:epservices:list and vpcep:connections:list (VPCEP ReadOnlyAccess)') } };
  }
}

/** One whitelist read (the first watched service's), as the posture checks will make them. */
async function whitelistLine(config: Config, vpcep: VpcepClient, services: EndpointService[] | undefined): Promise<Line> {
  const item = 'whitelist';
  if (config.postureCheckIntervalMs === undefined) return { result: 'skip', item, text: 'not read (POSTURE_CHECK_INTERVAL is off)' };
  const first = services?.[0];
  if (first === undefined) return { result: 'skip', item, text: services === undefined ? 'not checked: the service listing failed' : 'not checked: no endpoint service to read' };
  try {
    const entries = await vpcep.listPermissions(first.id);
    const open = entries.some((entry) => entry === 'iam:domain::*' || entry === '*') ? ', open to every account (*)' : '';
    return { result: 'ok', item, text: `read ${first.name || first.id}: ${entries.length} entr${entries.length === 1 ? 'y' : 'ies'}${open}` };
  } catch (error) {
    return { result: 'fail', item, text: oneLine(error), fix: `${fixFor(error, IAM_ACTIONS.listPermissions)}, or set POSTURE_CHECK_INTERVAL=off` };
  }
}

/** One CTS query of the last hour, as attribution makes it. */
async function ctsLine(config: Config, cts: CtsClient, now: Date): Promise<Line> {
  const item = 'CTS';
  if (!config.ctsAttribution) return { result: 'skip', item, text: 'not read (CTS_ATTRIBUTION is off)' };
  try {
    const traces = await cts.listTraces({ fromMs: now.getTime() - 3_600_000, toMs: now.getTime() });
    return { result: 'ok', item, text: `reads traces: ${traces.length} accept or reject trace(s) of VPCEP in the last hour` };
  } catch (error) {
    return { result: 'fail', item, text: oneLine(error), fix: `${fixFor(error, IAM_ACTIONS.listTraces)}, or set CTS_ATTRIBUTION=off` };
  }
}

async function metricsLine(config: Config, writeMetric: boolean, ces: () => CesClient, now: Date): Promise<Line> {
  const item = 'Cloud Eye';
  if (config.metricsNamespace === undefined) return { result: 'skip', item, text: 'metrics off (METRICS_NAMESPACE is not set)' };
  if (!writeMetric) return { result: 'skip', item, text: `not checked: --write-metric sends one datum to ${config.metricsNamespace}` };
  try {
    // A datum that is true whatever the state: no alert is waiting because of this check.
    await ces().send(config.metricsNamespace, [{ name: 'services_unreadable', dimension: { name: 'project_id', value: config.projectId }, value: 0, unit: 'count' }], now);
    return { result: 'ok', item, text: `accepted one datum in ${config.metricsNamespace} (services_unreadable = 0)` };
  } catch (error) {
    return { result: 'fail', item, text: oneLine(error), fix: fixFor(error, 'ces:metricData:create') };
  }
}

/** What to change for a failure the item has no special words for. */
function fixFor(error: unknown, permission: string): string {
  if (error instanceof ApiError && (error.status === 401 || error.code === 'APIGW.0301' || error.code === 'APIG.0301')) return 'check HUAWEICLOUD_SDK_AK / HUAWEICLOUD_SDK_SK (and the security token for temporary keys)';
  if (error instanceof ApiError && error.status === 403) return `grant ${permission} to these credentials (docs/deploy.md lists them)`;
  if (error instanceof NetworkError) return 'check the endpoint setting named above and the network';
  if (error instanceof CloudError) return `check the endpoint and ${permission}`;
  return 'see the message';
}

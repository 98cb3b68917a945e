import { randomBytes } from 'node:crypto';
import { LocalCloud } from '../emulator/index.js';
import { type Io, UsageError } from './command.js';

/**
 * `vpcep-monitor emulator [--port N]`: the local Huawei Cloud for manual use, seeded with one
 * service, a topic and a bucket; prints the environment that points the CLI at it.
 */
export async function emulatorCommand(port: string | undefined, io: Io): Promise<number> {
  const portNumber = port === undefined ? 0 : Number(port);
  if (!Number.isInteger(portNumber) || portNumber < 0 || portNumber > 65_533) throw new UsageError(`--port must be a port number, got "${port}"`);
  const credentials = {
    ak: io.env.HUAWEICLOUD_SDK_AK ?? `LOCAL${randomBytes(8).toString('hex').toUpperCase()}`,
    sk: io.env.HUAWEICLOUD_SDK_SK ?? randomBytes(20).toString('hex'),
  };
  const cloud = await LocalCloud.start({ credentials: [credentials], port: portNumber });
  const topicUrn = cloud.createTopic('vpcep-alerts');
  cloud.createBucket('vpcep-monitor-local');
  const service = cloud.addService({ name: 'local-service' });
  cloud.addConnections(service.id, 25);
  cloud.addConnections(service.id, 2, { status: 'pendingAcceptance' });
  io.stdout.write(
    [
      `Local Huawei Cloud running (Ctrl+C to stop). Point the CLI at it with:`,
      `export HUAWEICLOUD_SDK_AK=${credentials.ak}`,
      `export HUAWEICLOUD_SDK_SK=${credentials.sk}`,
      `export HUAWEICLOUD_PROJECT_ID=${cloud.projectId}`,
      `export OBS_BUCKET=vpcep-monitor-local`,
      `export SMN_TOPIC_URN=${topicUrn}`,
      `export VPCEP_ENDPOINT=${cloud.endpoints.vpcep}`,
      `export SMN_ENDPOINT=${cloud.endpoints.smn}`,
      `export OBS_ENDPOINT=${cloud.endpoints.obs}`,
      '',
    ].join('\n'),
  );
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  await cloud.stop();
  return 0;
}

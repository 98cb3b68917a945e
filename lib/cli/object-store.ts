/**
 * The monitor's bucket, for the commands that only read it (`audit`, `status`, `report`): the
 * settings that say where it is and the credentials, nothing else — no topic, no project.
 */
import { loadStoreConfig, settingSource, type StoreConfig } from '../config.js';
import { UNLIMITED } from '../huaweicloud/budget.js';
import { resolveCredentials } from '../huaweicloud/credentials.js';
import { ObsStore } from '../huaweicloud/obs.js';
import type { ObjectStore } from '../monitor/ports.js';
import type { Io } from './command.js';

export function openObjectStore(io: Io): { config: StoreConfig; store: ObjectStore } {
  const config = loadStoreConfig(settingSource(undefined, io.env));
  const credentials = resolveCredentials(undefined, io.env);
  // A person waits at the terminal: no run deadline, the retry policy's own bounds only.
  const store = new ObsStore({ endpoint: config.endpoints.obs, bucket: config.obsBucket, credentials, budget: UNLIMITED });
  return { config, store };
}

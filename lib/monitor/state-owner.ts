/**
 * Whose state it is. A state records the monitor that wrote it: the project and region it reads,
 * the services it watches (`VPCEP_SERVICE_IDS`, or all) and the prefix it was written under. A
 * state of another project or region, or of a deployment watching other services, is not this
 * monitor's past: diffing against it would alert every connection the other one saw differently
 * (61 alerts, 60 false, in the red-team pass), and two deployments on one prefix would do it on
 * every run. Such a state is left where it is and the run fails, naming both.
 *
 * The owner is one small record of its own in the state's header, so it moves unchanged into an
 * index object when the state is split into per-service objects.
 */
import type { Config } from '../config.js';
import { StateFormatError } from './errors.js';
import { isObject } from './state-checks.js';

export interface StateOwner {
  projectId: string;
  region: string;
  /** The services it watches, sorted, or `*` for every service of the project. */
  services: readonly string[] | '*';
  /** Where it keeps its objects: recorded to say where the other deployment lives, not compared. */
  prefix: string;
}

export function ownerOf(config: Pick<Config, 'projectId' | 'region' | 'serviceIds' | 'obsPrefix'>): StateOwner {
  const services = config.serviceIds.length === 0 ? '*' : [...new Set(config.serviceIds)].sort();
  return { projectId: config.projectId, region: config.region, services, prefix: config.obsPrefix };
}

/**
 * Whether a state written by `stored` is this monitor's own past. The prefix is not compared: a
 * state copied to a new prefix by its operator is still the same monitor's.
 */
export function sameOwner(stored: StateOwner, current: StateOwner): boolean {
  return stored.projectId === current.projectId && stored.region === current.region && servicesText(stored) === servicesText(current);
}

/** `project 0a1b… in ap-southeast-1, watching all services` (values bounded: the state may be anyone's). */
export function describeOwner(owner: StateOwner): string {
  const watching = owner.services === '*' ? 'all services' : `service(s) ${owner.services.slice(0, 5).join(', ')}${owner.services.length > 5 ? ` and ${owner.services.length - 5} more` : ''}`;
  return `project ${owner.projectId.slice(0, 64)} in ${owner.region.slice(0, 32)}, watching ${watching}`;
}

/** A prefix of its own for this deployment, under the current one: readable and unique per owner. */
export function suggestedPrefix(current: StateOwner): string {
  const filter = current.services === '*' ? 'all' : current.services.length === 1 ? current.services[0]!.slice(0, 40) : `${current.services.length}-services`;
  return `${current.prefix}${current.region}-${current.projectId.slice(0, 32)}-${filter}/`.replace(/[^A-Za-z0-9_./-]/g, '_');
}

export function serializeOwner(owner: StateOwner): string {
  return JSON.stringify({ projectId: owner.projectId, region: owner.region, services: owner.services, prefix: owner.prefix });
}

/** The owner recorded in a state's header; `undefined` for a state written before owners were. */
export function readOwner(value: unknown): StateOwner | undefined {
  if (value === undefined) return undefined;
  const malformed = (): never => {
    throw new StateFormatError('state has a malformed owner record');
  };
  if (!isObject(value)) return malformed();
  const { projectId, region, services, prefix } = value;
  if (typeof projectId !== 'string' || typeof region !== 'string' || typeof prefix !== 'string') return malformed();
  if (services !== '*' && !(Array.isArray(services) && services.every((id) => typeof id === 'string'))) return malformed();
  return { projectId, region, services: services === '*' ? '*' : [...(services as string[])], prefix };
}

function servicesText(owner: StateOwner): string {
  return owner.services === '*' ? '*' : JSON.stringify(owner.services);
}

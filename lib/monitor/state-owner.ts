/**
 * Whose state it is. A state records the monitor that wrote it: the project and region it reads,
 * the services it watches (`VPCEP_SERVICE_IDS`, or all), the prefix it was written under and, when
 * a function wrote it, which function (the deployment). A state of another project or region, or of
 * another deployment, is not this monitor's past: diffing against it would alert every connection
 * the other one saw differently (61 alerts, 60 false, in the red-team pass), and two deployments on
 * one prefix would do it on every run. Such a state is left where it is and the run fails, naming
 * both. The same deployment with another filter is its operator changing VPCEP_SERVICE_IDS: that
 * is a reconfiguration, accepted, so a `terraform apply` never costs the outbox.
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
  /**
   * The FunctionGraph function that runs it (`{package}/{function name}`, unique within a project
   * and region). Absent for the CLI, which has no deployment of its own, and in states written
   * before deployments were recorded.
   */
  deployment?: string;
}

export function ownerOf(config: Pick<Config, 'projectId' | 'region' | 'serviceIds' | 'obsPrefix'>, deployment?: string): StateOwner {
  const services = config.serviceIds.length === 0 ? '*' : [...new Set(config.serviceIds)].sort();
  return { projectId: config.projectId, region: config.region, services, prefix: config.obsPrefix, ...(deployment ? { deployment } : {}) };
}

/**
 * What a stored owner is to this monitor, and the owner its next save records (`stamp`):
 * - `foreign`: another project or region, another deployment, or (when one side names no
 *   deployment, so only the filter can tell) another filter. Never diffed.
 * - `reconfigured`: the same deployment with another filter. Its past, with the services that left
 *   the filter no longer watched.
 * - `own`: the same monitor (a state of no owner, written before owners were, is adopted as own).
 * The prefix is not compared: a state copied to a new prefix by its operator is still the same
 * monitor's. A run without a deployment (the CLI) keeps the stored one, so the function's next run
 * sees no change.
 */
export type OwnerVerdict = { kind: 'own' | 'reconfigured'; stamp: StateOwner } | { kind: 'foreign' };

export function judgeOwner(stored: StateOwner | undefined, current: StateOwner): OwnerVerdict {
  if (stored === undefined) return { kind: 'own', stamp: current };
  if (stored.projectId !== current.projectId || stored.region !== current.region) return { kind: 'foreign' };
  const sameFilter = servicesText(stored) === servicesText(current);
  if (stored.deployment !== undefined && current.deployment !== undefined) {
    if (stored.deployment !== current.deployment) return { kind: 'foreign' };
    return { kind: sameFilter ? 'own' : 'reconfigured', stamp: current };
  }
  if (!sameFilter) return { kind: 'foreign' };
  const deployment = current.deployment ?? stored.deployment;
  return { kind: 'own', stamp: { ...current, ...(deployment === undefined ? {} : { deployment }) } };
}

/** Whether saving `next` over a state owned by `stored` records another owner (a save is due). */
export function ownerChanged(stored: StateOwner | undefined, next: StateOwner | undefined): boolean {
  return (stored === undefined ? '' : serializeOwner(stored)) !== (next === undefined ? '' : serializeOwner(next));
}

/** `all services` or `service(s) a, b, c, d, e and 3 more` (bounded: the state may be anyone's). */
export function describeServices(services: StateOwner['services']): string {
  return services === '*' ? 'all services' : `service(s) ${services.slice(0, 5).map((id) => id.slice(0, 64)).join(', ')}${services.length > 5 ? ` and ${services.length - 5} more` : ''}`;
}

/** `project 0a1b… in ap-southeast-1, watching all services (function default/vpcep-monitor)` (values bounded). */
export function describeOwner(owner: StateOwner): string {
  const deployment = owner.deployment === undefined ? '' : ` (function ${owner.deployment.slice(0, 128)})`;
  return `project ${owner.projectId.slice(0, 64)} in ${owner.region.slice(0, 32)}, watching ${describeServices(owner.services)}${deployment}`;
}

/**
 * A prefix of its own for this deployment, under the current one: readable and unique per owner.
 * A function's name is unique in its project, so it names the prefix; two deployments with one
 * filter would otherwise be told the same new prefix.
 */
export function suggestedPrefix(current: StateOwner): string {
  const filter = current.services === '*' ? 'all' : current.services.length === 1 ? current.services[0]!.slice(0, 40) : `${current.services.length}-services`;
  const which = current.deployment === undefined ? filter : current.deployment.slice(current.deployment.lastIndexOf('/') + 1).slice(0, 64);
  return `${current.prefix}${current.region}-${current.projectId.slice(0, 32)}-${which}/`.replace(/[^A-Za-z0-9_./-]/g, '_');
}

export function serializeOwner(owner: StateOwner): string {
  const deployment = owner.deployment === undefined ? {} : { deployment: owner.deployment };
  return JSON.stringify({ projectId: owner.projectId, region: owner.region, services: owner.services, prefix: owner.prefix, ...deployment });
}

/** The owner recorded in a state's header; `undefined` for a state written before owners were. */
export function readOwner(value: unknown): StateOwner | undefined {
  if (value === undefined) return undefined;
  const malformed = (): never => {
    throw new StateFormatError('state has a malformed owner record');
  };
  if (!isObject(value)) return malformed();
  const { projectId, region, services, prefix, deployment } = value;
  if (typeof projectId !== 'string' || typeof region !== 'string' || typeof prefix !== 'string') return malformed();
  if (services !== '*' && !(Array.isArray(services) && services.every((id) => typeof id === 'string'))) return malformed();
  if (deployment !== undefined && (typeof deployment !== 'string' || deployment === '')) return malformed();
  return { projectId, region, services: services === '*' ? '*' : [...(services as string[])], prefix, ...(deployment === undefined ? {} : { deployment }) };
}

function servicesText(owner: StateOwner): string {
  return owner.services === '*' ? '*' : JSON.stringify(owner.services);
}

/**
 * Whose state it is, as plain data: which stored owners are this monitor's past, which are a
 * reconfiguration of it, which are another monitor's, and what the next save records.
 */
import { describe, expect, it } from 'vitest';
import { StateFormatError } from '../../lib/monitor/errors.js';
import { judgeOwner, ownerChanged, readOwner, serializeOwner, type StateOwner, suggestedPrefix } from '../../lib/monitor/state-owner.js';

const FUNCTION = 'default/vpcep-connection-monitor';
const function_ = (extra: Partial<StateOwner> = {}): StateOwner => ({ projectId: 'p1', region: 'ap-southeast-1', services: ['a', 'b'], prefix: 'vpcep-monitor/', deployment: FUNCTION, ...extra });
/** A CLI run, or a state the CLI or the previous version wrote: no deployment. */
const cli = (extra: Partial<StateOwner> = {}): StateOwner => {
  const { deployment: _, ...owner } = function_(extra);
  return owner;
};

describe('judgeOwner', () => {
  it('takes a state of no owner (written before owners were) as its own, stamped with this monitor', () => {
    expect(judgeOwner(undefined, function_())).toEqual({ kind: 'own', stamp: function_() });
  });

  it('finds another project or region foreign, whatever the deployment and filter', () => {
    expect(judgeOwner(function_({ projectId: 'p2' }), function_())).toEqual({ kind: 'foreign' });
    expect(judgeOwner(function_({ region: 'eu-west-101' }), function_())).toEqual({ kind: 'foreign' });
    expect(judgeOwner(cli({ projectId: 'p2' }), cli())).toEqual({ kind: 'foreign' });
  });

  it('finds another deployment foreign, even with the same filter', () => {
    expect(judgeOwner(function_({ deployment: 'default/copy-of-monitor' }), function_())).toEqual({ kind: 'foreign' });
    expect(judgeOwner(function_({ deployment: 'default/copy-of-monitor', services: '*' }), function_())).toEqual({ kind: 'foreign' });
  });

  it('accepts the same deployment with another filter as a reconfiguration, restamped with the new filter', () => {
    expect(judgeOwner(function_({ services: '*' }), function_())).toEqual({ kind: 'reconfigured', stamp: function_() });
    expect(judgeOwner(function_({ services: ['a'] }), function_({ services: '*' }))).toEqual({ kind: 'reconfigured', stamp: function_({ services: '*' }) });
  });

  it('takes the same deployment with the same filter as its own; the prefix is not compared', () => {
    expect(judgeOwner(function_({ prefix: 'old/' }), function_())).toEqual({ kind: 'own', stamp: function_() });
  });

  it('with a deployment on one side only, needs the filter to match', () => {
    expect(judgeOwner(cli({ services: '*' }), function_())).toEqual({ kind: 'foreign' });
    expect(judgeOwner(function_({ services: '*' }), cli())).toEqual({ kind: 'foreign' });
    // A state of the previous version, or one the CLI wrote, gets the function's deployment.
    expect(judgeOwner(cli(), function_())).toEqual({ kind: 'own', stamp: function_() });
  });

  it('keeps the stored deployment on a CLI run, so the function next sees no change', () => {
    const verdict = judgeOwner(function_(), cli());
    expect(verdict).toEqual({ kind: 'own', stamp: function_() });
    expect(ownerChanged(function_(), verdict.kind === 'foreign' ? undefined : verdict.stamp)).toBe(false);
    expect(judgeOwner(cli(), cli())).toEqual({ kind: 'own', stamp: cli() });
  });
});

describe('ownerChanged', () => {
  it('says a save is due when the owner record would differ', () => {
    expect(ownerChanged(undefined, function_())).toBe(true);
    expect(ownerChanged(cli(), function_())).toBe(true);
    expect(ownerChanged(function_({ services: '*' }), function_())).toBe(true);
    expect(ownerChanged(function_(), function_())).toBe(false);
  });
});

describe('the owner record', () => {
  it('round-trips with and without a deployment, and refuses a deployment that is no name', () => {
    expect(readOwner(JSON.parse(serializeOwner(function_())))).toEqual(function_());
    expect(readOwner(JSON.parse(serializeOwner(cli())))).toEqual(cli());
    expect(serializeOwner(cli())).not.toContain('deployment');
    expect(() => readOwner({ ...cli(), deployment: 7 })).toThrow(StateFormatError);
    expect(() => readOwner({ ...cli(), deployment: '' })).toThrow(StateFormatError);
  });

  it('suggests a prefix named after the function, so two deployments with one filter are told different ones', () => {
    expect(suggestedPrefix(function_())).toBe('vpcep-monitor/ap-southeast-1-p1-vpcep-connection-monitor/');
    expect(suggestedPrefix(function_({ deployment: 'default/copy' }))).toBe('vpcep-monitor/ap-southeast-1-p1-copy/');
    expect(suggestedPrefix(cli({ services: '*' }))).toBe('vpcep-monitor/ap-southeast-1-p1-all/');
  });
});

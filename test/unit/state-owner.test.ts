/**
 * Whose state it is, as plain data: which stored owners are this monitor's past, which are a
 * reconfiguration of it, which are another monitor's, and what the next save records.
 */
import { describe, expect, it } from 'vitest';
import { StateFormatError } from '../../lib/monitor/errors.js';
import { describeOwner, describeServices, judgeOwner, ownerChanged, ownerOf, readOwner, serializeOwner, type StateOwner, suggestedPrefix } from '../../lib/monitor/state-owner.js';

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

describe('ownerOf', () => {
  const config = { projectId: 'p1', region: 'ap-southeast-1', obsPrefix: 'vpcep-monitor/' };
  it('records the filter sorted and without repeats, all services for none, and the deployment only when there is one', () => {
    expect(ownerOf({ ...config, serviceIds: ['b', 'a', 'b'] }, FUNCTION)).toStrictEqual(function_());
    expect(ownerOf({ ...config, serviceIds: [] })).toStrictEqual(cli({ services: '*' }));
    expect(ownerOf({ ...config, serviceIds: ['a'] }, '')).toStrictEqual(cli({ services: ['a'] }));
  });
});

describe('judgeOwner, stamps', () => {
  it('records no deployment when neither side names one', () => {
    const verdict = judgeOwner(cli(), cli());
    expect(verdict.kind === 'foreign' ? undefined : Object.keys(verdict.stamp)).not.toContain('deployment');
  });

  it('tells two lists of services apart', () => {
    expect(judgeOwner(function_({ services: ['a'] }), function_())).toEqual({ kind: 'reconfigured', stamp: function_() });
    expect(judgeOwner(cli({ services: ['a'] }), cli())).toEqual({ kind: 'foreign' });
  });
});

describe('ownerChanged, no owner', () => {
  it('sees no change from no owner to no owner, and a change from an owner to none', () => {
    expect(ownerChanged(undefined, undefined)).toBe(false);
    expect(ownerChanged(function_(), undefined)).toBe(true);
  });
});

describe('describeOwner and describeServices', () => {
  it('names project, region, filter and function, bounded', () => {
    expect(describeOwner(function_())).toBe(`project p1 in ap-southeast-1, watching service(s) a, b (function ${FUNCTION})`);
    expect(describeOwner(cli({ services: '*' }))).toBe('project p1 in ap-southeast-1, watching all services');
    const long = describeOwner(function_({ projectId: 'p'.repeat(100), region: 'r'.repeat(100), deployment: 'd'.repeat(200) }));
    expect(long).toBe(`project ${'p'.repeat(64)} in ${'r'.repeat(32)}, watching service(s) a, b (function ${'d'.repeat(128)})`);
  });

  it('lists at most five services of at most 64 characters and counts the rest', () => {
    expect(describeServices('*')).toBe('all services');
    expect(describeServices(['a'])).toBe('service(s) a');
    expect(describeServices(['a', 'b', 'c', 'd', 'e'])).toBe('service(s) a, b, c, d, e');
    expect(describeServices(['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h'])).toBe('service(s) a, b, c, d, e and 3 more');
    expect(describeServices(['x'.repeat(100)])).toBe(`service(s) ${'x'.repeat(64)}`);
  });
});

describe('suggestedPrefix, bounds', () => {
  it('names a CLI prefix after its one service or its count of services', () => {
    expect(suggestedPrefix(cli({ services: ['svc-1'] }))).toBe('vpcep-monitor/ap-southeast-1-p1-svc-1/');
    expect(suggestedPrefix(cli({ services: ['a', 'b', 'c'] }))).toBe('vpcep-monitor/ap-southeast-1-p1-3-services/');
    expect(suggestedPrefix(cli({ services: ['s'.repeat(100)] }))).toBe(`vpcep-monitor/ap-southeast-1-p1-${'s'.repeat(40)}/`);
  });

  it('bounds the project and the function name and replaces characters a key should not hold', () => {
    expect(suggestedPrefix(function_({ projectId: 'p'.repeat(100), deployment: `default/${'f'.repeat(100)}` }))).toBe(`vpcep-monitor/ap-southeast-1-${'p'.repeat(32)}-${'f'.repeat(64)}/`);
    expect(suggestedPrefix(function_({ deployment: 'default/my fn+1' }))).toBe('vpcep-monitor/ap-southeast-1-p1-my_fn_1/');
  });
});

describe('readOwner, malformed records', () => {
  it('reads all services, and no deployment as none', () => {
    expect(readOwner({ ...cli(), services: '*' })).toStrictEqual(cli({ services: '*' }));
    expect(readOwner(JSON.parse(serializeOwner(cli())))).toStrictEqual(cli());
    expect(readOwner(undefined)).toBeUndefined();
  });

  it('refuses what is no owner record with a StateFormatError', () => {
    for (const value of [null, 'owner', 7, { ...cli(), projectId: 1 }, { ...cli(), region: 1 }, { ...cli(), prefix: 1 }, { ...cli(), services: 'a' }, { ...cli(), services: ['a', 7] }, { ...cli(), services: [7] }]) {
      expect(() => readOwner(value), JSON.stringify(value)).toThrow(new StateFormatError('state has a malformed owner record'));
    }
  });
});

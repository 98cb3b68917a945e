/** The local cloud records calls under the same IAM action names the product and its Terraform policy use. */
import { expect, test } from 'vitest';
import { API } from '../../lib/emulator/api-names.js';
import { IAM_ACTIONS } from '../../lib/huaweicloud/iam-actions.js';

test('every IAM action the product uses is an API name of the local cloud, spelt the same', () => {
  const emulated = new Set<string>(Object.values(API));
  const missing = Object.values(IAM_ACTIONS).filter((action) => !emulated.has(action));
  expect(missing).toEqual([]);
});

test('every API name is a service:resource:action triple', () => {
  for (const name of Object.values(API)) expect(name).toMatch(/^(vpcep|smn|obs|ces|cts):[A-Za-z]+:[A-Za-z]+$/);
});

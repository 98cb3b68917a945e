/**
 * The Terraform module, read statically (no terraform binary here): it must deploy the function
 * the code expects. Settings come from lib/config.ts SETTINGS and IAM actions from
 * lib/huaweicloud/iam-actions.ts, so adding a setting or an API call without updating the module
 * fails here.
 */
import { existsSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { join, resolve } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { SETTINGS } from '../../lib/config';
import { IAM_ACTIONS } from '../../lib/huaweicloud/iam-actions';
import * as keys from '../../lib/monitor/keys';
import {
  checkPolicies,
  checkTimerEventData,
  checkUserData,
  environmentExpression,
  expressionOf,
  loadBroken,
  loadModule,
  MODULE_DIR,
  objectKeys,
  resourceBlock,
  resourcesOfType,
  rolePolicies,
  type TerraformConfig,
} from './terraform-checks';

const ROOT = resolve(__dirname, '../..');
const EXAMPLES_DIR = join(ROOT, 'deploy/terraform/examples');
const BUNDLE = join(ROOT, 'dist/connection-monitor/index.js');

/**
 * Accepting or rejecting connections (VPCEP spells accept `receive`) is the one write to VPCEP the
 * monitor may do, and only with the approval policy enforcing; Cloud Eye metrics are sent only
 * when a namespace is set; CTS traces and whitelists are read only with their features on.
 */
const switches = {
  'local.approval_enforced': [IAM_ACTIONS.connectionAction],
  'local.metrics_enabled': [IAM_ACTIONS.putMetricData],
  'local.cts_attribution_enabled': [IAM_ACTIONS.listTraces],
  'local.posture_checks_enabled': [IAM_ACTIONS.listPermissions],
};

let config: TerraformConfig;
let mainTf: string;

beforeAll(async () => {
  config = await loadModule(MODULE_DIR);
  mainTf = await readFile(join(MODULE_DIR, 'main.tf'), 'utf8');
});

function fn(): Record<string, unknown> {
  const functions = resourcesOfType(config, 'huaweicloud_fgs_function');
  expect(functions).toHaveLength(1);
  return functions[0]![1];
}

describe('module files', () => {
  it('has the four files of a standard module', async () => {
    const files = await readdir(MODULE_DIR);
    expect(files).toEqual(expect.arrayContaining(['main.tf', 'variables.tf', 'outputs.tf', 'versions.tf']));
  });

  it('pins the huaweicloud provider and a Terraform version', () => {
    const terraform = config.terraform[0] as { required_version?: string; required_providers?: Record<string, { source: string; version: string }>[] };
    // 1.9: validations that read other variables (approval_mode needs a domain).
    expect(terraform.required_version).toMatch(/>=\s*1\.9/);
    const provider = terraform.required_providers?.[0]?.huaweicloud;
    expect(provider?.source).toBe('huaweicloud/huaweicloud');
    expect(provider?.version).toMatch(/\d+\.\d+/);
  });

  it('describes and types every variable, and keeps secrets out of them', () => {
    for (const [name, [variable]] of Object.entries(config.variable)) {
      expect(variable?.description, `variable ${name} has no description`).toEqual(expect.any(String));
      expect(variable?.type, `variable ${name} has no type`).toBeDefined();
      expect(name, 'the function uses its agency, never keys passed in').not.toMatch(/secret|password|access_key|secret_key|token/i);
    }
  });

  it('exports the function, topic and bucket', () => {
    expect(Object.keys(config.output)).toEqual(expect.arrayContaining(['function_urn', 'topic_urn', 'bucket_name']));
  });
});

describe('function settings (user_data)', () => {
  it('passes every setting of lib/config.ts, required ones unconditionally', () => {
    expect(checkUserData(config, SETTINGS)).toEqual([]);
    const keys = objectKeys(environmentExpression(config));
    for (const setting of SETTINGS.filter((s) => s.required)) {
      expect(keys.some((k) => k.name === setting.name && !k.conditional), setting.name).toBe(true);
    }
  });

  it('check fails when a setting is left out of user_data', async () => {
    const required = SETTINGS.find((s) => s.required)!;
    const optional = SETTINGS.find((s) => !s.required)!;
    for (const setting of [required, optional]) {
      const line = new RegExp(`^\\s*${setting.name}\\s*=.*\\n`, 'm');
      expect(mainTf, `main.tf sets ${setting.name} on a line of its own`).toMatch(line);
      const broken = await loadModule(MODULE_DIR, { 'main.tf': mainTf.replace(line, '') });
      expect(checkUserData(broken, SETTINGS)).toContain(`setting ${setting.name} is missing from user_data`);
    }
  });

  it('check fails when a required setting is only conditional or a key is misspelled', async () => {
    const required = SETTINGS.find((s) => s.required)!;
    // Move the required key into the filtered `for` map of optional settings (settings.tf).
    const line = new RegExp(`^(\\s*)${required.name}(\\s*=.*)\\n`, 'm');
    const [, , value] = line.exec(mainTf)!;
    const settingsTf = await readFile(join(MODULE_DIR, 'settings.tf'), 'utf8');
    const conditional = settingsTf.replace(/(for setting, value in \{\n)/, `$1      ${required.name}${value}\n`);
    expect(conditional).not.toBe(settingsTf);
    const moved = await loadModule(MODULE_DIR, { 'main.tf': mainTf.replace(line, ''), 'settings.tf': conditional });
    expect(checkUserData(moved, SETTINGS)).toContain(`required setting ${required.name} is only conditionally in user_data`);

    const misspelled = await loadModule(MODULE_DIR, { 'main.tf': mainTf.replace(line, `$1${required.name}S$2\n`) });
    expect(checkUserData(misspelled, SETTINGS)).toEqual(
      expect.arrayContaining([`setting ${required.name} is missing from user_data`, `user_data key ${required.name}S is not a setting in lib/config.ts`]),
    );
  });

});

describe('runtime and handler', () => {
  it('runs on Node.js 20.15, the runtime esbuild targets', async () => {
    expect(fn().runtime).toBe('Node.js20.15');
    const esbuildConfig = await readFile(join(ROOT, 'esbuild.config.mjs'), 'utf8');
    expect(esbuildConfig).toContain("target: 'node20'");
  });

  it('calls index.handler, which the built bundle exports as a function', () => {
    expect(fn().handler).toBe('index.handler');
    expect(existsSync(BUNDLE), `${BUNDLE} missing: the global setup builds it`).toBe(true);
    const [file, exported] = (fn().handler as string).split('.');
    expect(`${file}.js`).toBe('index.js');
    const bundle = createRequire(__filename)(BUNDLE) as Record<string, unknown>;
    expect(typeof bundle[exported!]).toBe('function');
  });

  it('deploys the zip as v2 code with at most one instance, so timer runs cannot overlap', () => {
    const f = fn();
    expect(f.functiongraph_version).toBe('v2');
    expect(f.code_type).toBe('zip');
    expect(f.func_code).toBe('${filebase64(var.package_path)}');
    // The provider types max_instance_num as a string; Terraform converts the number.
    expect(String(f.max_instance_num)).toBe('1');
    expect(f.agency).toMatch(/^\$\{huaweicloud_identity_agency\.[A-Za-z0-9_]+\.name\}$/);
  });
});

describe('timer trigger', () => {
  it('is a TIMER on the function with the documented event_data fields', () => {
    const triggers = resourcesOfType(config, 'huaweicloud_fgs_function_trigger');
    expect(triggers).toHaveLength(1);
    const [, trigger] = triggers[0]!;
    expect(trigger.type).toBe('TIMER');
    expect(trigger.function_urn).toMatch(/^\$\{huaweicloud_fgs_function\.[A-Za-z0-9_]+\.urn\}$/);
    const eventData = expressionOf(trigger.event_data)!;
    expect(eventData).toMatch(/^\s*jsonencode\(/);
    expect(objectKeys(eventData).map((k) => k.name).sort()).toEqual(['name', 'schedule', 'schedule_type', 'sync_execution', 'user_event']);
    expect(checkTimerEventData(config)).toEqual([]);
  });

  it('check fails when sync_execution is missing or true', async () => {
    const line = /^\s*sync_execution\s*=\s*false\n/m;
    expect(mainTf).toMatch(line);
    const missing = await loadModule(MODULE_DIR, { 'main.tf': mainTf.replace(line, '') });
    expect(checkTimerEventData(missing)).toContain('event_data has no sync_execution = false (providers from 1.75.2 read it back)');
    const sync = await loadModule(MODULE_DIR, { 'main.tf': mainTf.replace(/(sync_execution\s*=\s*)false/, '$1true') });
    expect(checkTimerEventData(sync)).toContain('event_data has no sync_execution = false (providers from 1.75.2 read it back)');
  });

  it('defaults to every five minutes', () => {
    expect(config.variable.schedule_type?.[0]?.default).toBe('Rate');
    expect(config.variable.schedule?.[0]?.default).toBe('5m');
  });
});

describe('agency permissions', () => {
  it('grant exactly the IAM actions the code uses, approval and metrics actions only behind their switches', () => {
    expect(checkPolicies(config, Object.values(IAM_ACTIONS), switches)).toEqual([]);
    expect(config.variable.approval_mode?.[0]?.default).toBe('off');
  });

  it('scope OBS to the bucket and prefix, and grant SMN publish in the project without a topic Resource', () => {
    const policies = rolePolicies(config);
    const statements = policies.flatMap((p) => p.statements);
    const obsObject = statements.filter((s) => s.actions.some((a) => a.startsWith('obs:object:')));
    expect(obsObject.flatMap((s) => s.resources ?? [])).toEqual(['obs:*:*:object:${local.bucket}/${var.obs_prefix}*']);
    for (const r of obsObject.flatMap((s) => s.resources ?? [])) expect(r).not.toMatch(/^\*$|:\*$/);
    // No SMN page documents topic-level resources in role-based custom policies (main.tf cites
    // the pages), so publish is granted project-wide and nothing else of SMN is.
    const smn = statements.filter((s) => s.actions.some((a) => a.startsWith('smn:')));
    expect(smn).toEqual([{ actions: ['smn:topic:publish'], resources: undefined, condition: undefined }]);
    const regional = policies.find((p) => p.statements.includes(smn[0]!));
    expect(regional?.type, 'SMN is project-level: an XA policy granted in the project').toBe('XA');
  });

  it('check fails on a missing, extra, unconditional or unscoped grant', async () => {
    const expected = Object.values(IAM_ACTIONS);
    const variant = async (from: string | RegExp, to: string) => checkPolicies(await loadBroken('main.tf', from, to), expected, switches);
    expect(await variant('"obs:object:DeleteObject"', '"obs:object:GetObject"')).toContain(
      'action obs:object:DeleteObject is used by the code but not granted',
    );
    expect(await variant('"smn:topic:publish"', '"smn:topic:publish", "smn:topic:delete"')).toContain(
      'action smn:topic:delete is granted but the code does not use it',
    );
    expect(await variant('"vpcep:connections:list"]', `"vpcep:connections:list", "${IAM_ACTIONS.connectionAction}"]`)).toContain(
      `action ${IAM_ACTIONS.connectionAction} is granted unconditionally; it belongs behind local.approval_enforced`,
    );
    expect(await variant('local.metrics_enabled ?', 'true ?')).toContain(`role regional grants ${IAM_ACTIONS.putMetricData} under an unexpected condition: true`);
    expect(await variant('local.cts_attribution_enabled ?', 'true ?')).toContain(`role regional grants ${IAM_ACTIONS.listTraces} under an unexpected condition: true`);
    expect(await variant('local.posture_checks_enabled ?', 'local.cts_attribution_enabled ?')).toContain(
      `action ${IAM_ACTIONS.listPermissions} is granted under local.cts_attribution_enabled, which is not its switch`,
    );
    expect(await variant('local.metrics_enabled ?', 'local.approval_enforced ?')).toContain(
      `action ${IAM_ACTIONS.putMetricData} is granted under local.approval_enforced, which is not its switch`,
    );
    expect(await variant(/\n\s*Action = \["ces:metricData:create"\]/, '\n          Action = ["ces:metricData:list"]')).toEqual(
      expect.arrayContaining([
        `action ${IAM_ACTIONS.putMetricData} is not granted when local.metrics_enabled is true`,
        'action ces:metricData:list is granted but the code does not use it',
      ]),
    );
    expect(await variant('${local.bucket}/${var.obs_prefix}*', '*')).toContain(
      'role obs: object resource obs:*:*:object:* is not <the module\'s bucket>/<obs_prefix>*',
    );
    expect((await variant(/(\n\s*)(Action\s*= \["obs:bucket:ListBucket"\])\n\s*Resource\s*= [^\n]*/, '$1$2')).join('\n')).toMatch(/without a Resource/);
    expect((await variant(/(Action = \["smn:topic:publish"\])/, '$1\n          Resource = ["smn:*:*:topic:${huaweicloud_smn_topic.alerts.name}"]')).join('\n')).toMatch(
      /SMN statement has Resource .*document no topic-level resource/,
    );
  });

  it('belong to an agency FunctionGraph can assume, granted where each service needs them', () => {
    const agencies = resourcesOfType(config, 'huaweicloud_identity_agency');
    expect(agencies).toHaveLength(1);
    const [agencyName, agency] = agencies[0]!;
    expect(agency.delegated_service_name).toBe('op_svc_cff');
    expect(fn().agency).toBe(`\${huaweicloud_identity_agency.${agencyName}.name}`);

    const projectRoles = ((agency.project_role as { roles: string[] }[] | undefined) ?? []).flatMap((p) => p.roles);
    const domainRoles = (agency.domain_roles as string[] | undefined) ?? [];
    for (const { role, type } of rolePolicies(config)) {
      const ref = `\${huaweicloud_identity_role.${role}.name}`;
      // XA: project-level services, granted in the region's project. AX: global services (OBS).
      if (type === 'XA') expect(projectRoles, `${role} is granted in the project`).toContain(ref);
      else if (type === 'AX') expect(domainRoles, `${role} is granted for global services`).toContain(ref);
      else throw new Error(`role ${role} has type ${String(type)}, expected XA or AX`);
    }
  });
});

describe('notifications and state', () => {
  it('subscribes each listed endpoint to the topic, with the protocols validated', () => {
    const subscription = resourceBlock(config, 'huaweicloud_smn_subscription', 'alerts')!;
    expect(subscription.for_each).toContain('var.subscriptions');
    expect(subscription.topic_urn).toBe('${huaweicloud_smn_topic.alerts.topic_urn}');
    const validations = (config.variable.subscriptions?.[0]?.validation as { condition: string }[]).map((v) => v.condition).join('\n');
    for (const protocol of ['email', 'sms', 'http', 'https', 'functiongraph']) expect(validations).toContain(`"${protocol}"`);
  });

  it('keeps state in a private, versioned bucket that expires audit records and old versions', () => {
    const buckets = resourcesOfType(config, 'huaweicloud_obs_bucket');
    expect(buckets).toHaveLength(1);
    const [, bucket] = buckets[0]!;
    expect(bucket.acl).toBe('private');
    expect(bucket.versioning).toBe(true);
    expect(bucket.force_destroy).toBe('${var.force_destroy}');
    expect(config.variable.force_destroy?.[0]?.default).toBe(false);
    expect(config.variable.audit_retention_days?.[0]?.default).toBe(400);

    type Rule = { prefix: string; expiration?: { days: unknown }[]; noncurrent_version_expiration?: { days: unknown }[] };
    const rules = bucket.lifecycle_rule as Rule[];
    const audit = rules.find((r) => r.prefix === '${local.audit_prefix}');
    const state = rules.find((r) => r.prefix === '${local.state_key}');
    expect(audit?.expiration?.[0]?.days).toBe('${var.audit_retention_days}');
    expect(audit?.noncurrent_version_expiration?.[0]?.days).toBe('${var.noncurrent_version_retention_days}');
    expect(state?.expiration, 'the current snapshot never expires').toBeUndefined();
    expect(state?.noncurrent_version_expiration?.[0]?.days).toBe('${var.noncurrent_version_retention_days}');
  });

  it('puts every key lib/monitor writes under exactly one lifecycle rule that expires its old versions', () => {
    type Rule = { name: string; prefix: string; expiration?: { days: unknown }[]; noncurrent_version_expiration?: { days: unknown }[] };
    const [, bucket] = resourcesOfType(config, 'huaweicloud_obs_bucket')[0]!;
    const locals = Object.assign({}, ...config.locals) as Record<string, string>;
    const at = new Date('2026-06-01T08:30:00Z');
    // One sample of every kind of key keys.ts builds; a new *Key function there fails this test
    // until it is added here, with the rule it belongs under.
    const samples: Record<string, (prefix: string) => string> = {
      stateKey: (p) => keys.stateKey(p),
      pageKey: (p) => keys.pageKey(p, '4c1a0000-0000-4000-8000-0000000000e2', 12, '7-0123456789abcdef0123456789abcdef'),
      leaseKey: (p) => keys.leaseKey(p),
      leaseSkipsKey: (p) => keys.leaseSkipsKey(p),
      foreignStateNoticeKey: (p) => keys.foreignStateNoticeKey(p, '0123456789abcdef0123'),
      auditKey: (p) => keys.auditKey(p, at, 'run-1'),
      auditPartKey: (p) => keys.auditPartKey(keys.auditKey(p, at, 'run-1'), 2),
      'auditKey:delivered': (p) => keys.auditKey(p, at, 'run-1', 'delivered'),
      'auditKey:dead-letter': (p) => keys.auditKey(p, at, 'run-1', 'dead-letter'),
      quarantineKey: (p) => keys.quarantineKey(p, at),
      deadLetterKey: (p) => keys.deadLetterKey(p, at, 'run-1'),
    };
    // Builders are the *Key functions; is*Key ones are predicates about a key.
    const builders = Object.keys(keys).filter((name) => name.endsWith('Key') && !name.startsWith('is'));
    expect(builders.sort()).toEqual(Object.keys(samples).sort().filter((name) => !name.includes(':')));
    // Which rule each kind belongs under, and whether its current version may expire: the
    // snapshot, the skip count and the notices never; the lease after a day (it ends with its run);
    // audit, quarantine and dead letters with the audit trail.
    const expected: Record<string, { rule: string; current: unknown }> = {
      stateKey: { rule: 'snapshot-history', current: undefined },
      pageKey: { rule: 'snapshot-pages-history', current: undefined },
      leaseKey: { rule: 'lease-history', current: 1 },
      leaseSkipsKey: { rule: 'lease-skips-history', current: undefined },
      foreignStateNoticeKey: { rule: 'notices-history', current: undefined },
      auditKey: { rule: 'audit-retention', current: '${var.audit_retention_days}' },
      auditPartKey: { rule: 'audit-retention', current: '${var.audit_retention_days}' },
      'auditKey:delivered': { rule: 'audit-retention', current: '${var.audit_retention_days}' },
      'auditKey:dead-letter': { rule: 'audit-retention', current: '${var.audit_retention_days}' },
      quarantineKey: { rule: 'quarantine-retention', current: '${var.audit_retention_days}' },
      deadLetterKey: { rule: 'dead-letter-retention', current: '${var.audit_retention_days}' },
    };
    for (const prefix of ['vpcep-monitor/', 'team-a/vpcep-monitor/']) {
      const rules = (bucket.lifecycle_rule as Rule[]).map((rule) => ({
        ...rule,
        rendered: rule.prefix.replace(/\$\{local\.([a-z_]+)\}/, (_, name: string) => locals[name]!).replaceAll('${var.obs_prefix}', prefix),
      }));
      for (const [kind, sample] of Object.entries(samples)) {
        const key = sample(prefix);
        const matching = rules.filter((rule) => key.startsWith(rule.rendered));
        expect(matching.map((r) => r.name), `${kind}: ${key}`).toEqual([expected[kind]!.rule]);
        const [rule] = matching;
        expect(rule!.noncurrent_version_expiration?.[0]?.days, `${kind}: old versions expire`).toBe('${var.noncurrent_version_retention_days}');
        expect(rule!.expiration?.[0]?.days, `${kind}: current version`).toBe(expected[kind]!.current);
      }
      // OBS refuses rules whose prefixes overlap.
      for (const a of rules) for (const b of rules) if (a !== b) expect(b.rendered.startsWith(a.rendered), `${a.name} overlaps ${b.name}`).toBe(false);
    }
  });

  it('writes lifecycle prefixes the provider accepts: no leading, trailing or doubled "/"', () => {
    // docs/resources/obs_bucket.md: "The prefix cannot start or end with a slash (/), cannot have
    // consecutive slashes (/), and cannot contain the following special characters: \\:*?"<>|".
    const locals = Object.assign({}, ...config.locals) as Record<string, string>;
    for (const prefix of ['vpcep-monitor/', 'team-a/vpcep-monitor/']) {
      for (const template of [locals.audit_prefix, locals.state_key, locals.lease_key, locals.lease_skips_key, locals.notices_prefix, locals.quarantine_prefix, locals.dead_letter_prefix]) {
        const rendered = template!.replaceAll('${var.obs_prefix}', prefix);
        expect(rendered, rendered).not.toMatch(/^\/|\/$|\/\/|[\\:*?"<>|]/);
      }
    }
  });
});

describe('examples', () => {
  it('call the module with every variable that has no default', async () => {
    const required = Object.entries(config.variable)
      .filter(([, [v]]) => v !== undefined && !('default' in v))
      .map(([name]) => name);
    expect(required).toEqual(expect.arrayContaining(['package_path', 'bucket_name']));

    const examples = await readdir(EXAMPLES_DIR);
    expect(examples).toContain('basic');
    for (const example of examples) {
      const parsed = await loadModule(join(EXAMPLES_DIR, example));
      const calls = Object.values(parsed.module).flat();
      expect(calls.length, `${example} calls the module`).toBeGreaterThan(0);
      for (const call of calls) {
        expect(call.source).toBe('../../modules/vpcep-connection-monitor');
        for (const name of required) expect(call, `${example} sets ${name}`).toHaveProperty(name);
        for (const name of Object.keys(call)) {
          if (['source', 'providers', 'for_each', 'count', 'depends_on'].includes(name)) continue;
          expect(config.variable, `${example} passes ${name}, which the module does not declare`).toHaveProperty(name);
        }
      }
    }
  });

  it('basic takes every input an operator changes through variables mirroring the module\'s, and terraform.tfvars.example sets only those', async () => {
    const dir = join(EXAMPLES_DIR, 'basic');
    const basic = await loadModule(dir);
    const call = Object.values(basic.module).flat()[0]!;
    for (const name of ['schedule_type', 'schedule', 'subscriptions', 'force_destroy', 'bucket_name', 'obs_prefix', 'approval_mode', 'metrics_namespace']) {
      expect(call[name], `basic passes ${name}`).toBe(`\${var.${name}}`);
    }
    for (const [name, [mirror]] of Object.entries(basic.variable)) {
      const [original] = config.variable[name] ?? [];
      expect(original, `basic declares ${name}, which the module does not`).toBeDefined();
      // Same type and default, so leaving a line of the tfvars out means what the module means.
      expect({ name, type: mirror?.type, default: mirror?.default ?? null }).toEqual({ name, type: original?.type, default: original?.default ?? null });
      expect(call[name], `basic passes ${name} on`).toBe(`\${var.${name}}`);
    }
    const tfvars = await readFile(join(dir, 'terraform.tfvars.example'), 'utf8');
    const named = [...tfvars.matchAll(/^#? ?([a-z_]+)\s+=/gm)].map((match) => match[1]!);
    expect(named).toEqual(expect.arrayContaining(['bucket_name', 'subscriptions', 'schedule_type', 'schedule', 'force_destroy']));
    for (const name of named) expect(basic.variable, `terraform.tfvars.example sets ${name}`).toHaveProperty(name);
    expect(tfvars).toMatch(/protocol = "sms", endpoint = "\+\d+"/);
  });
});

/**
 * What the huaweicloud provider documents for the resources the module uses, and checks of the
 * module against it. Sources (repo huaweicloud/terraform-provider-huaweicloud): docs/resources/
 * ces_alarmrule.md, fgs_function_trigger.md, fgs_function.md, identity_role.md,
 * identity_agency.md, smn_topic.md, smn_subscription.md, obs_bucket.md, lts_group.md,
 * lts_stream.md; for Cloud Eye's alarm schema also huaweicloud/services/ces/
 * resource_huaweicloud_ces_alarmrule.go. Only what the module could plausibly write is listed;
 * an argument missing here is one the docs do not show.
 */
import { evaluate, toJs, toValue, UnsupportedExpression } from './terraform-expressions';
import { localsOf, defaultsOf } from './terraform-inputs';
import { expressionOf, resourcesOfType, type TerraformConfig } from './terraform-checks';

/** Arguments and nested blocks (block name -> its own schema) of a resource. */
interface Schema {
  args: readonly string[];
  blocks?: Readonly<Record<string, Schema>>;
}

const DAYS: Schema = { args: ['days'] };
const NOTIFY: Schema = { args: ['type', 'notification_list'] };

export const PROVIDER_SCHEMA: Readonly<Record<string, Schema>> = {
  huaweicloud_ces_alarmrule: {
    // Top-level alarm_level, insufficientdata_actions and metric.metric_name/dimensions are
    // deprecated in favour of condition.alarm_level, condition.metric_name and resources.
    args: ['region', 'alarm_name', 'alarm_description', 'alarm_enabled', 'alarm_type', 'alarm_action_enabled', 'alarm_template_id',
      'notification_begin_time', 'notification_end_time', 'effective_timezone', 'enterprise_project_id'],
    blocks: {
      metric: { args: ['namespace'] },
      resources: { args: [], blocks: { dimensions: { args: ['name', 'value'] } } },
      condition: { args: ['period', 'filter', 'comparison_operator', 'value', 'count', 'unit', 'suppress_duration', 'metric_name', 'alarm_level'] },
      alarm_actions: NOTIFY,
      ok_actions: NOTIFY,
    },
  },
  huaweicloud_fgs_function_trigger: { args: ['region', 'function_urn', 'type', 'event_data', 'status'] },
  huaweicloud_fgs_function: {
    args: ['region', 'name', 'app', 'description', 'functiongraph_version', 'runtime', 'handler', 'memory_size', 'timeout', 'code_type',
      'code_url', 'code_filename', 'func_code', 'depend_list', 'user_data', 'encrypted_user_data', 'agency', 'app_agency',
      'initializer_handler', 'initializer_timeout', 'enterprise_project_id', 'vpc_id', 'network_id', 'dns_list', 'max_instance_num',
      'tags', 'log_group_id', 'log_group_name', 'log_stream_id', 'log_stream_name', 'concurrency_num'],
  },
  huaweicloud_identity_role: { args: ['name', 'description', 'type', 'policy'] },
  huaweicloud_identity_agency: {
    // delegated_service_name is absent from the docs but in the schema (marked internal); the
    // provider built from source accepts it and it is the only way to delegate to FunctionGraph.
    args: ['name', 'description', 'delegated_domain_name', 'delegated_service_name', 'duration', 'domain_roles'],
    blocks: { project_role: { args: ['project', 'roles'] } },
  },
  huaweicloud_smn_topic: { args: ['region', 'name', 'display_name', 'users_publish_allowed', 'services_publish_allowed', 'introduction', 'enterprise_project_id', 'tags'] },
  huaweicloud_smn_subscription: { args: ['region', 'topic_urn', 'protocol', 'endpoint', 'remark'] },
  huaweicloud_obs_bucket: {
    args: ['region', 'bucket', 'storage_class', 'acl', 'policy', 'policy_format', 'tags', 'versioning', 'quota', 'force_destroy', 'parallel_fs', 'multi_az', 'enterprise_project_id'],
    blocks: {
      lifecycle_rule: {
        args: ['name', 'enabled', 'prefix'],
        blocks: { expiration: DAYS, noncurrent_version_expiration: DAYS, transition: { args: ['days', 'storage_class'] }, noncurrent_version_transition: { args: ['days', 'storage_class'] } },
      },
    },
  },
  huaweicloud_lts_group: { args: ['region', 'group_name', 'ttl_in_days'] },
  huaweicloud_lts_stream: { args: ['region', 'group_id', 'stream_name'] },
};

const META = ['count', 'for_each', 'depends_on', 'provider', 'lifecycle'];

/** Arguments and blocks the provider documents no such thing as, e.g. `resource.block.name`. */
export function checkArguments(config: TerraformConfig): string[] {
  const problems: string[] = [];
  const walk = (where: string, block: Record<string, unknown>, schema: Schema, top: boolean): void => {
    for (const [key, value] of Object.entries(block)) {
      if (top && META.includes(key)) continue;
      if (key === 'dynamic') {
        for (const [name, [dyn]] of Object.entries(value as Record<string, { content: Record<string, unknown>[] }[]>)) {
          if (!schema.blocks?.[name]) problems.push(`${where}: dynamic block ${name} is not documented`);
          else walk(`${where}.${name}`, dyn!.content[0]!, schema.blocks[name]!, false);
        }
      } else if (schema.blocks?.[key]) {
        for (const inner of value as Record<string, unknown>[]) walk(`${where}.${key}`, inner, schema.blocks[key]!, false);
      } else if (!schema.args.includes(key)) problems.push(`${where}: ${key} is not a documented argument`);
    }
  };
  for (const [type, byName] of Object.entries(config.resource)) {
    const schema = PROVIDER_SCHEMA[type];
    if (!schema) {
      problems.push(`${type}: no documented schema recorded in test/deploy/terraform-schema.ts`);
      continue;
    }
    for (const [name, [block]] of Object.entries(byName)) walk(`${type}.${name}`, block!, schema, true);
  }
  return problems;
}

// --- Cloud Eye alarm rules -----------------------------------------------------------------------

/** Values ces_alarmrule.md documents for each condition field and the rule itself. */
export const ALARM_VALUES = {
  period: [0, 1, 300, 1200, 3600, 14400, 86400],
  filter: ['max', 'min', 'average', 'sum', 'variance'],
  comparison_operator: ['>', '=', '<', '>=', '<='],
  suppress_duration: [0, 300, 600, 900, 1800, 3600, 10800, 21600, 43200, 86400],
  alarm_level: [1, 2, 3, 4],
  count: [1, 2, 3, 4, 5],
  alarm_type: ['EVENT.SYS', 'EVENT.CUSTOM', 'MULTI_INSTANCE', 'ALL_INSTANCE'],
} as const;

/** The custom metrics of issue 12, by the dimension they carry. */
export interface MetricNames {
  service_id: readonly string[];
  project_id: readonly string[];
}

type Block = Record<string, unknown>;
const blocks = (value: unknown): Block[] => (Array.isArray(value) ? (value as Block[]) : []);

/** Evaluates a block attribute: a literal as is, `${expr}` through the evaluator. */
export function valueOf(config: TerraformConfig, raw: unknown, vars: Record<string, unknown> = {}, names: Record<string, unknown> = {}): unknown {
  const expr = expressionOf(raw);
  if (expr === undefined) return raw;
  return toJs(evaluate(expr, { vars: { ...defaultsOf(config), ...vars }, locals: localsOf(config), names: names as never }));
}

/**
 * The dimension sets of a rule's `resources` (static or dynamic), as Cloud Eye would receive them.
 * A value that depends on another resource (the project id from the topic URN) stays as its
 * `${...}` text: it is known at apply time, which is all this check needs.
 */
export function alarmResources(config: TerraformConfig, rule: Block, vars: Record<string, unknown> = {}): { name: unknown; value: unknown }[][] {
  const attempt = (raw: unknown, names: Record<string, unknown>) => {
    try {
      return valueOf(config, raw, vars, names);
    } catch (error) {
      if (error instanceof UnsupportedExpression && /resources and data sources/.test(error.message)) return raw;
      throw error;
    }
  };
  const dims = (resource: Block, names: Record<string, unknown>) =>
    blocks(resource.dimensions).map((d) => ({ name: attempt(d.name, names), value: attempt(d.value ?? null, names) }));
  const fixed = blocks(rule.resources).map((r) => dims(r, {}));
  // A dynamic block's iterator is named after its label unless `iterator` says otherwise.
  const dynamic = blocks((rule.dynamic as Record<string, unknown> | undefined)?.resources).flatMap((dyn) => {
    if (dyn.iterator !== undefined) throw new UnsupportedExpression('dynamic iterator');
    const items = valueOf(config, dyn.for_each, vars) as unknown[];
    return items.map((item) => dims(blocks(dyn.content)[0]!, { resources: { kind: 'object', fields: { value: toValue(item), key: toValue(item) } } }));
  });
  return [...fixed, ...dynamic];
}

/**
 * Every alarm rule must: exist only with metrics on; watch the module's namespace; use only
 * documented values; alarm on the metric names with the dimension each carries; and
 * notify the module's topic (alarm and ok actions naming the same list, as the docs require).
 */
export function checkAlarmRules(config: TerraformConfig, metrics: MetricNames): string[] {
  const problems: string[] = [];
  const rules = resourcesOfType(config, 'huaweicloud_ces_alarmrule');
  if (rules.length === 0) return ['no huaweicloud_ces_alarmrule in the module'];
  const topic = ['${huaweicloud_smn_topic.alerts.topic_urn}'];
  const dimensionOf = (metric: string) => (Object.keys(metrics) as (keyof MetricNames)[]).find((d) => metrics[d].includes(metric));

  for (const [name, rule] of rules) {
    const say = (text: string) => problems.push(`alarm rule ${name}: ${text}`);
    if (valueOf(config, rule.count, { metrics_namespace: '' }) !== 0) say('exists with metrics off (metrics_namespace = "")');
    if (blocks(rule.metric)[0]?.namespace !== '${var.metrics_namespace}') say('does not watch var.metrics_namespace');
    if (rule.alarm_action_enabled !== true) say('alarm_action_enabled is not true');

    const dimensions = new Set<string>();
    for (const condition of blocks(rule.condition)) {
      for (const field of ['period', 'filter', 'comparison_operator', 'suppress_duration', 'alarm_level', 'count'] as const) {
        const value = valueOf(config, condition[field]);
        if (!(ALARM_VALUES[field] as readonly unknown[]).includes(value)) say(`condition ${field} = ${JSON.stringify(value)} is not one of ${ALARM_VALUES[field].join(', ')}`);
      }
      const threshold = valueOf(config, condition.value);
      if (typeof threshold !== 'number' || threshold < 0) say(`condition value ${JSON.stringify(threshold)} is not a number >= 0`);
      const metric = String(condition.metric_name);
      const dimension = dimensionOf(metric);
      if (!dimension) say(`metric ${metric} is not one the function sends`);
      else dimensions.add(dimension);
    }
    if (dimensions.size !== 1) say(`conditions mix or lack dimensions (${[...dimensions].join(', ')}); one rule has one set of resources`);

    for (const serviceIds of [[], ['4c1a0d8e-8f0e-4d6b-9d0b-2b1f3c4d5e6f', '9f7b0d8e-8f0e-4d6b-9d0b-2b1f3c4d5e01']]) {
      const type = valueOf(config, rule.alarm_type ?? 'MULTI_INSTANCE', { service_ids: serviceIds });
      if (!(ALARM_VALUES.alarm_type as readonly unknown[]).includes(type)) say(`alarm_type ${JSON.stringify(type)} is not documented`);
      const resources = alarmResources(config, rule, { service_ids: serviceIds });
      if (resources.length === 0) say(`has no resources when service_ids = ${JSON.stringify(serviceIds)}`);
      for (const resource of resources) {
        for (const { name: dim, value } of resource) {
          if (!dimensions.has(String(dim))) say(`resource dimension ${String(dim)} is not the dimension of its metrics`);
          // ALL_INSTANCE names the dimension only; MULTI_INSTANCE needs the value of each resource.
          if (type === 'ALL_INSTANCE' && value !== null) say(`ALL_INSTANCE resource names a value (${String(value)})`);
          if (type === 'MULTI_INSTANCE' && (typeof value !== 'string' || value === '')) say(`MULTI_INSTANCE resource ${String(dim)} has no value`);
        }
      }
    }

    const actions = blocks(rule.alarm_actions);
    if (actions.length !== 1 || actions[0]!.type !== 'notification' || JSON.stringify(actions[0]!.notification_list) !== JSON.stringify(topic)) {
      say('alarm_actions is not one notification to the module topic');
    }
    for (const ok of blocks(rule.ok_actions)) {
      if (JSON.stringify(ok.notification_list) !== JSON.stringify(actions[0]?.notification_list)) say('ok_actions names another notification_list than alarm_actions');
    }
  }
  return problems;
}

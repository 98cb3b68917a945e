# One VPC Endpoint connection monitor in one region and project (the provider's, or the default
# project of var.region): a FunctionGraph timer function, the SMN topic it alerts to, the OBS
# bucket holding its snapshot and audit trail, and an agency that lets the function do exactly
# what the code in lib/ does and nothing more.

locals {
  # A topic URN is urn:smn:{region}:{project_id}:{name}. The topic is created where everything
  # else here is, so its URN names the region and project the function runs in, without a data
  # source that would need IAM read permissions of its own.
  topic_urn_parts = split(":", huaweicloud_smn_topic.alerts.topic_urn)
  region          = local.topic_urn_parts[2]
  project_id      = local.topic_urn_parts[3]

  iam_project_name = coalesce(var.iam_project_name, local.region)

  # Only an enforcing approval policy writes to VPCEP; dry-run and off need no update permission.
  approval_enforced = var.approval_mode == "enforce"

  # FunctionGraph's timer schedules by schedule_type, for the trigger's precondition. The variable's
  # own validation (variables.tf) cannot read locals, so it spells the same patterns out;
  # test/deploy runs both against the same cases.
  schedule_patterns = {
    Rate = ["^(([1-9]|[1-5][0-9]|60)m|([1-9]|1[0-9]|2[0-4])h|([1-9]|[12][0-9]|30)d)$"]
    Cron = [
      "^(CRON_TZ=[A-Za-z0-9_+/-]+ +)?[0-9A-Za-z*?/,#-]+( +[0-9A-Za-z*?/,#-]+){4,5}$",
      "^@every +([0-9]+(\\.[0-9]+)?(ns|us|µs|ms|s|m|h))+$",
    ]
  }

  # Where lib/monitor writes (lib/monitor/keys.ts); test/deploy renders these and checks every key
  # the monitor writes falls under exactly one rule. The provider documents that a lifecycle prefix
  # may not end with '/', so the folder rules stop at the folder's name: nothing else the monitor
  # writes starts with it (test/deploy checks that too).
  bucket             = huaweicloud_obs_bucket.state.bucket
  audit_prefix       = "${var.obs_prefix}audit"
  state_key          = "${var.obs_prefix}state.json"
  snapshots_prefix   = "${var.obs_prefix}snapshots"
  lease_key          = "${var.obs_prefix}lease.json"
  lease_skips_key    = "${var.obs_prefix}lease-skipped.json"
  notices_prefix     = "${var.obs_prefix}notices"
  quarantine_prefix  = "${var.obs_prefix}quarantine"
  dead_letter_prefix = "${var.obs_prefix}dead-letter"

  # The function's environment (user_data): the settings only the resources here know, then the
  # optional ones (settings.tf). FunctionGraph presets RUNTIME_PROJECT_ID too; setting the project
  # from the topic makes the function independent of that preset.
  environment = merge(
    {
      HUAWEICLOUD_REGION     = local.region
      HUAWEICLOUD_PROJECT_ID = local.project_id
      OBS_BUCKET             = local.bucket
      OBS_PREFIX             = var.obs_prefix
      SMN_TOPIC_URN          = huaweicloud_smn_topic.alerts.topic_urn
    },
    local.optional_settings,
  )
}

# --- Notifications --------------------------------------------------------------------------------

resource "huaweicloud_smn_topic" "alerts" {
  region       = var.region
  name         = var.name
  display_name = var.topic_display_name
  introduction = "Alerts about VPC Endpoint connections that need attention (pending acceptance, failed or rejected)."
  tags         = var.tags
}

resource "huaweicloud_smn_subscription" "alerts" {
  # Keyed by protocol and endpoint rather than list position, so removing one subscriber does not
  # re-create (and re-invite) everyone listed after it.
  for_each = { for s in var.subscriptions : "${s.protocol}/${s.endpoint}" => s }

  region    = var.region
  topic_urn = huaweicloud_smn_topic.alerts.topic_urn
  protocol  = each.value.protocol
  endpoint  = each.value.endpoint
  remark    = "Managed by Terraform (${var.name})"
}

# --- State bucket -----------------------------------------------------------------------------

resource "huaweicloud_obs_bucket" "state" {
  region = var.region
  bucket = var.bucket_name
  acl    = "private"
  # Every write of the snapshot keeps the previous one as a noncurrent version, so a bad run can
  # be rolled back by restoring an earlier version; OBS has no conditional PUT to guard it instead.
  versioning    = true
  force_destroy = var.force_destroy
  tags          = var.tags

  # OBS refuses lifecycle rules whose prefixes overlap, so each kind of object gets its own rule
  # and nothing is set on obs_prefix as a whole. In this versioned bucket an expiry only adds a
  # delete marker and turns the object into a noncurrent version; noncurrent_version_expiration is
  # what frees it. The provider (docs/resources/obs_bucket.md) has no expired_object_delete_marker:
  # OBS removes a delete marker that is an object's only version when the rule has an expiration
  # (OBS's lifecycle documentation: "If the current object version is the only version of the
  # object and has a delete marker, OBS will delete the current object version"; OBS's own
  # "remove expired delete markers" switch, usermanual-obs/obs_03_082104, is not in the provider),
  # so every rule on keys that get deleted has one.
  lifecycle_rule {
    name    = "audit-retention"
    prefix  = local.audit_prefix
    enabled = true

    expiration {
      days = var.audit_retention_days
    }

    noncurrent_version_expiration {
      days = var.noncurrent_version_retention_days
    }
  }

  # The current snapshot never expires; its earlier versions are the rollback history.
  lifecycle_rule {
    name    = "snapshot-history"
    prefix  = local.state_key
    enabled = true

    noncurrent_version_expiration {
      days = var.noncurrent_version_retention_days
    }
  }

  # The pages of the snapshot (one object per VPCEP page of each service) that the state names.
  # They must never expire while named, however long a service stays unchanged, so only their
  # old versions do. A page replaced by a change is deleted by the run that saved the change.
  lifecycle_rule {
    name    = "snapshot-pages-history"
    prefix  = local.snapshots_prefix
    enabled = true

    noncurrent_version_expiration {
      days = var.noncurrent_version_retention_days
    }
  }

  # The lease is written and deleted by every run that saves: each run leaves a noncurrent version
  # and a delete marker. A lease ends with its holder's FunctionGraph timeout (at most 900 s), so a
  # lease object a day old is over by its own terms and expiring it changes nothing.
  lifecycle_rule {
    name    = "lease-history"
    prefix  = local.lease_key
    enabled = true

    expiration {
      days = 1
    }

    noncurrent_version_expiration {
      days = var.noncurrent_version_retention_days
    }
  }

  # Small records that are overwritten, never deleted, and must stay while they matter: the count
  # of runs skipped for a held lease, and the notes that a foreign state was already reported
  # (expiring one would repeat its notice). Only their old versions go.
  lifecycle_rule {
    name    = "lease-skips-history"
    prefix  = local.lease_skips_key
    enabled = true

    noncurrent_version_expiration {
      days = var.noncurrent_version_retention_days
    }
  }

  lifecycle_rule {
    name    = "notices-history"
    prefix  = local.notices_prefix
    enabled = true

    noncurrent_version_expiration {
      days = var.noncurrent_version_retention_days
    }
  }

  # Quarantined state and dead letters wait for a person, so they are kept as long as the audit
  # trail they belong with; once deleted or expired, their versions go like any other.
  lifecycle_rule {
    name    = "quarantine-retention"
    prefix  = local.quarantine_prefix
    enabled = true

    expiration {
      days = var.audit_retention_days
    }

    noncurrent_version_expiration {
      days = var.noncurrent_version_retention_days
    }
  }

  lifecycle_rule {
    name    = "dead-letter-retention"
    prefix  = local.dead_letter_prefix
    enabled = true

    expiration {
      days = var.audit_retention_days
    }

    noncurrent_version_expiration {
      days = var.noncurrent_version_retention_days
    }
  }
}

# --- Permissions ----------------------------------------------------------------------------------
# The policies list exactly the IAM actions in lib/huaweicloud/iam-actions.ts (test/deploy checks
# that). They are split in two because IAM grants project-level services (VPCEP, SMN) per region
# project, while OBS is a global service whose permissions must be granted at account level.

resource "huaweicloud_identity_role" "regional" {
  name        = "${var.name}-vpcep-smn"
  description = "VPC Endpoint connection monitor: list endpoint services, their connections and whitelists, publish alerts to SMN, send metrics to Cloud Eye, read CTS traces."
  type        = "XA" # project-level services

  policy = jsonencode({
    Version = "1.1"
    Statement = concat(
      [
        {
          # VPCEP list actions have no resource-level authorization: they cover the project the
          # role is granted in, which is the only scope available.
          Effect = "Allow"
          Action = ["vpcep:epservices:list", "vpcep:epservices:get", "vpcep:connections:list"]
        },
        {
          # Publish to any topic of this project, not only the module's: no SMN page documents a
          # topic-level Resource in role-based custom policies (huaweicloud_identity_role). The
          # SMN custom-policy examples have no Resource ("Creating SMN Custom Policies",
          # usermanual-smn/smn_ug_0038) and the action table names no resource type
          # (api-smn/smn_api_80005); topic URNs appear only for identity policies
          # (api-smn/smn_api_80015), a different IAM model. docs/deploy.md says what this allows.
          Effect = "Allow"
          Action = ["smn:topic:publish"]
        },
      ],
      # Accepting or rejecting connections is a write to another tenant's access path: granted
      # only when the approval policy is switched on.
      local.approval_enforced ? [
        {
          Effect = "Allow"
          Action = ["vpcep:connections:update"]
        },
      ] : [],
      # Custom metrics for Cloud Eye, a project-level service ("Permissions",
      # productdesc-ces/ces_07_0009), hence this XA policy. Its custom-policy examples carry no
      # Resource (usermanual-ces/ces_01_0091) and the action has no resource type: it covers the
      # project.
      local.metrics_enabled ? [
        {
          Effect = "Allow"
          Action = ["ces:metricData:create"]
        },
      ] : [],
      # Who accepted or rejected a connection: Cloud Trace Service's trace list, a project-level
      # service like VPCEP (its system policies are granted per region project).
      local.cts_attribution_enabled ? [
        {
          Effect = "Allow"
          Action = ["cts:trace:list"]
        },
      ] : [],
      # The whitelist of each endpoint service (ListServicePermissionsDetails). Role-based name;
      # identity policies call it vpcep:endpointServices:listPermissions.
      local.posture_checks_enabled ? [
        {
          Effect = "Allow"
          Action = ["vpcep:permissions:list"]
        },
      ] : [],
    )
  })
}

resource "huaweicloud_identity_role" "obs" {
  name        = "${var.name}-obs"
  description = "VPC Endpoint connection monitor: read and write its snapshot and audit trail under one bucket prefix."
  type        = "AX" # global services (OBS)

  policy = jsonencode({
    Version = "1.1"
    Statement = [
      {
        Effect   = "Allow"
        Action   = ["obs:object:GetObject", "obs:object:PutObject", "obs:object:DeleteObject"]
        Resource = ["obs:*:*:object:${local.bucket}/${var.obs_prefix}*"]
      },
      {
        Effect   = "Allow"
        Action   = ["obs:bucket:ListBucket"]
        Resource = ["obs:*:*:bucket:${local.bucket}"]
      },
    ]
  })
}

resource "huaweicloud_identity_agency" "monitor" {
  name = var.name
  # FunctionGraph's service principal: the function receives this agency's temporary credentials
  # through context.getSecurityAccessKey()/getSecuritySecretKey()/getSecurityToken().
  delegated_service_name = "op_svc_cff"
  description            = "Lets the VPC Endpoint connection monitor function read VPCEP, publish to SMN and keep state in OBS."
  duration               = "FOREVER"

  project_role {
    project = local.iam_project_name
    roles   = [huaweicloud_identity_role.regional.name]
  }

  domain_roles = [huaweicloud_identity_role.obs.name]
}

# --- Logs -----------------------------------------------------------------------------------------

resource "huaweicloud_lts_group" "monitor" {
  count = var.lts_enabled ? 1 : 0

  region      = var.region
  group_name  = var.name
  ttl_in_days = var.log_retention_days
}

resource "huaweicloud_lts_stream" "monitor" {
  count = var.lts_enabled ? 1 : 0

  region      = var.region
  group_id    = huaweicloud_lts_group.monitor[0].id
  stream_name = "${var.name}-function"
}

# --- Function -------------------------------------------------------------------------------------

resource "huaweicloud_fgs_function" "monitor" {
  region                = var.region
  name                  = var.name
  app                   = var.app
  description           = "Lists VPC Endpoint connections, diffs them against the snapshot in OBS and alerts through SMN."
  functiongraph_version = "v2"

  # Must agree with esbuild's target (node20) and the bundle's `exports.handler`; test/deploy
  # checks both against the real build.
  runtime     = "Node.js20.15"
  handler     = "index.handler"
  memory_size = var.memory_size
  timeout     = var.timeout

  code_type     = "zip"
  code_filename = "index.zip"
  # The provider sends base64 as is; the state keeps only a hash, and a rebuilt zip with new
  # bytes is what makes a plan show a code update.
  func_code = filebase64(var.package_path)

  agency = huaweicloud_identity_agency.monitor.name

  # One instance at most, so a run that outlasts the timer interval delays the next run instead
  # of racing it: two runs diffing the same snapshot would send duplicate alerts, and OBS has no
  # conditional PUT to stop the second write. (max_instance_num is a string in the provider
  # schema; Terraform converts the number.)
  max_instance_num = 1

  # Every setting in lib/config.ts SETTINGS, by the name the function reads (test/deploy checks
  # this): the five that come from resources here, the optional ones from settings.tf.
  user_data = jsonencode(local.environment)

  log_group_id    = var.lts_enabled ? huaweicloud_lts_group.monitor[0].id : null
  log_group_name  = var.lts_enabled ? huaweicloud_lts_group.monitor[0].group_name : null
  log_stream_id   = var.lts_enabled ? huaweicloud_lts_stream.monitor[0].id : null
  log_stream_name = var.lts_enabled ? huaweicloud_lts_stream.monitor[0].stream_name : null

  tags = var.tags

  lifecycle {
    precondition {
      # variables.tf checks the planned size with the region and project at their longest; this is
      # the exact size, known once the topic (and with it the region and project) is.
      condition     = length(jsonencode(local.environment)) <= 4096
      error_message = "The function's settings take ${length(jsonencode(local.environment))} characters as user_data; FunctionGraph allows 4096 for all environment variables together. Shorten service_ids, auto_accept_domains or auto_reject_domains."
    }
  }
}

resource "huaweicloud_fgs_function_trigger" "timer" {
  region       = var.region
  function_urn = huaweicloud_fgs_function.monitor.urn
  type         = "TIMER"

  event_data = jsonencode({
    name          = "${var.name}-timer"
    schedule_type = var.schedule_type
    schedule      = var.schedule
    # Arrives as event.user_event; the function does not depend on it.
    user_event = "vpcep-connection-monitor"
    # Providers from 1.75.2 send this and read it back; without it every plan shows a change.
    # Timer triggers are invoked asynchronously anyway (usermanual-functiongraph/functiongraph_01_0399).
    sync_execution = false
  })

  lifecycle {
    precondition {
      # Each variable is validated on its own; this catches a valid Rate paired with type Cron
      # and the other way round.
      condition     = anytrue([for pattern in local.schedule_patterns[var.schedule_type] : can(regex(pattern, var.schedule))])
      error_message = "schedule does not match schedule_type: Rate takes 1m-60m, 1h-24h or 1d-30d; Cron takes five or six fields (optionally after CRON_TZ=<zone>) or @every <duration>."
    }
  }
}

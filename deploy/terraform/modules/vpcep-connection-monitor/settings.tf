# The function's settings (FunctionGraph user_data) that follow from variables alone; main.tf adds
# the five that come from the resources it creates. They live in a file of their own, with no
# resource in it, so that variables.tf can check the size of the whole environment at plan time and
# the tests can have Terraform itself render them with no provider
# (test/deploy/terraform-agreement.test.ts copies this file and variables.tf).

locals {
  # Cloud Eye metrics are on unless metrics_namespace is empty; the permission to send them and the
  # alarm rules on them (alarms.tf) follow this switch.
  metrics_enabled = var.metrics_namespace != ""
  # Who did it (CTS traces) and the whitelist reads: each permission follows its feature's switch.
  cts_attribution_enabled = var.cts_attribution
  posture_checks_enabled  = var.posture_check_interval == null || try(lower(var.posture_check_interval) != "off", true)

  # Every optional setting of lib/config.ts SETTINGS, by the name the function reads (test/deploy
  # checks this). Null leaves a setting out so the function's own default applies.
  optional_settings = {
    for setting, value in {
      VPCEP_SERVICE_IDS      = length(var.service_ids) > 0 ? join(",", var.service_ids) : null
      ALERT_STATUSES         = var.alert_statuses == null ? null : join(",", var.alert_statuses)
      ALERT_ON_BASELINE      = var.alert_on_baseline == null ? null : tostring(var.alert_on_baseline)
      LOG_LEVEL              = var.log_level
      VPCEP_ENDPOINT         = var.vpcep_endpoint
      SMN_ENDPOINT           = var.smn_endpoint
      OBS_ENDPOINT           = var.obs_endpoint
      REMIND_PENDING_AFTER   = var.remind_pending_after
      APPROVAL_MODE          = var.approval_mode == "off" ? null : var.approval_mode
      AUTO_ACCEPT_DOMAINS    = length(var.auto_accept_domains) > 0 ? join(",", var.auto_accept_domains) : null
      AUTO_REJECT_DOMAINS    = length(var.auto_reject_domains) > 0 ? join(",", var.auto_reject_domains) : null
      METRICS_NAMESPACE      = local.metrics_enabled ? var.metrics_namespace : null
      CES_ENDPOINT           = var.ces_endpoint
      POSTURE_CHECK_INTERVAL = var.posture_check_interval
      CTS_ATTRIBUTION        = var.cts_attribution ? null : "off"
      CTS_ENDPOINT           = var.cts_endpoint
      MAX_IN_FLIGHT          = var.max_in_flight == null ? null : tostring(var.max_in_flight)
    } : setting => value if value != null
  }

  # FunctionGraph stores all of a function's environment variables as one user_data string of at
  # most 4 KB (CreateFunction, api-functiongraph/functiongraph_06_0108: "总长度不超过4KB"; the user
  # guide, usermanual-functiongraph/functiongraph_01_0154: "The total length of the key and value
  # cannot exceed 4096 characters"). The provider sends user_data as given, which here is
  # jsonencode() of the settings, so that string's length is what counts (lib/config-values.ts
  # counts the same at start). Before apply the region and project are not known unless var.region
  # is set: a region then counts as 20 characters (the longest name is 14) and a project id is
  # always 32, so the plan never passes an environment that apply would find too long.
  planned_region = coalesce(var.region, "region-name-20-chars")
  planned_environment = merge(
    {
      HUAWEICLOUD_REGION     = local.planned_region
      HUAWEICLOUD_PROJECT_ID = "0123456789abcdef0123456789abcdef"
      OBS_BUCKET             = var.bucket_name
      OBS_PREFIX             = var.obs_prefix
      SMN_TOPIC_URN          = "urn:smn:${local.planned_region}:0123456789abcdef0123456789abcdef:${var.name}"
    },
    local.optional_settings,
  )
  planned_environment_length = length(jsonencode(local.planned_environment))
}

# A check rather than a variable's validation: a validation that reads these locals would depend on
# the very variables it validates (Terraform reports a cycle). An output's precondition is checked
# at plan time all the same, and its value tells how close a deployment is to the limit.
output "settings_length" {
  description = "Characters the function's settings take as FunctionGraph user_data, as planned (the region at its longest when var.region is null); FunctionGraph allows 4096."
  value       = local.planned_environment_length

  precondition {
    condition     = local.planned_environment_length <= 4096
    error_message = "The settings of function ${var.name} would take ${local.planned_environment_length} characters as user_data; FunctionGraph allows 4096 for all environment variables together. Shorten service_ids, auto_accept_domains or auto_reject_domains."
  }
}

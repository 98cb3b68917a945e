# Cloud Eye alarm rules on the custom metrics the function sends when metrics_namespace is set
# (METRICS_NAMESPACE). Each rule notifies the module's SMN topic when it fires and again when it
# clears. Arguments follow the provider's huaweicloud_ces_alarmrule documentation (metric with the
# namespace only, metric_name per condition, resources with dimensions, alarm_actions with a
# notification_list of topic URNs); test/deploy checks them against those documented values.

locals {
  # Per-service metrics carry the dimension service_id. With service_ids listed, the rules watch
  # exactly those services (MULTI_INSTANCE, one resource each). With none listed, the monitor
  # watches every service of the project, which Terraform cannot enumerate: the rules then use
  # ALL_INSTANCE and name the dimension without a value. Cloud Eye documents ALL_INSTANCE as an
  # alarm on all resources of the metric, but no page we found shows it on a custom namespace; the
  # docs/deploy.md says so. "" stands for "no value" in the one ALL_INSTANCE resource.
  alarm_all_services  = length(var.service_ids) == 0
  alarm_service_ids   = local.alarm_all_services ? [""] : var.service_ids
  pending_alarm_rules = local.metrics_enabled && var.pending_alarm_after != null ? 1 : 0
  # pending_oldest_seconds is in seconds; pending_alarm_after is "<n><s|m|h|d>".
  pending_alarm_seconds = var.pending_alarm_after == null ? null : (
    tonumber(regex("^([0-9]+)[smhd]$", var.pending_alarm_after)[0]) *
    lookup({ s = 1, m = 60, h = 3600, d = 86400 }, substr(var.pending_alarm_after, -1, 1))
  )
}

resource "huaweicloud_ces_alarmrule" "pending" {
  count = local.pending_alarm_rules

  region               = var.region
  alarm_name           = "${var.name}-pending"
  alarm_description    = "A VPC endpoint connection request has waited in pendingAcceptance longer than ${var.pending_alarm_after}."
  alarm_type           = local.alarm_all_services ? "ALL_INSTANCE" : "MULTI_INSTANCE"
  alarm_enabled        = true
  alarm_action_enabled = true

  metric {
    namespace = var.metrics_namespace
  }

  dynamic "resources" {
    for_each = local.alarm_service_ids
    content {
      dimensions {
        name  = "service_id"
        value = resources.value == "" ? null : resources.value
      }
    }
  }

  condition {
    metric_name         = "pending_oldest_seconds"
    period              = 300
    filter              = "max"
    comparison_operator = ">"
    value               = local.pending_alarm_seconds
    count               = 1
    suppress_duration   = 0
    alarm_level         = 3
  }

  alarm_actions {
    type              = "notification"
    notification_list = [huaweicloud_smn_topic.alerts.topic_urn]
  }

  # The provider requires ok_actions to name the same list as alarm_actions.
  ok_actions {
    type              = "notification"
    notification_list = [huaweicloud_smn_topic.alerts.topic_urn]
  }
}

resource "huaweicloud_ces_alarmrule" "failed" {
  count = local.metrics_enabled ? 1 : 0

  region               = var.region
  alarm_name           = "${var.name}-failed"
  alarm_description    = "A VPC endpoint service has a connection in status failed."
  alarm_type           = local.alarm_all_services ? "ALL_INSTANCE" : "MULTI_INSTANCE"
  alarm_enabled        = true
  alarm_action_enabled = true

  metric {
    namespace = var.metrics_namespace
  }

  dynamic "resources" {
    for_each = local.alarm_service_ids
    content {
      dimensions {
        name  = "service_id"
        value = resources.value == "" ? null : resources.value
      }
    }
  }

  condition {
    metric_name         = "connections_failed"
    period              = 300
    filter              = "max"
    comparison_operator = ">"
    value               = 0
    count               = 1
    suppress_duration   = 0
    alarm_level         = 2
  }

  alarm_actions {
    type              = "notification"
    notification_list = [huaweicloud_smn_topic.alerts.topic_urn]
  }

  ok_actions {
    type              = "notification"
    notification_list = [huaweicloud_smn_topic.alerts.topic_urn]
  }
}

# The monitor itself failing: services it could not read, alerts it could not deliver. Both are
# per-run metrics with the dimension project_id, so one resource covers them.
resource "huaweicloud_ces_alarmrule" "monitor" {
  count = local.metrics_enabled ? 1 : 0

  region               = var.region
  alarm_name           = "${var.name}-monitor-failing"
  alarm_description    = "The VPC endpoint connection monitor could not read some endpoint services or deliver some alerts."
  alarm_type           = "MULTI_INSTANCE"
  alarm_enabled        = true
  alarm_action_enabled = true

  metric {
    namespace = var.metrics_namespace
  }

  resources {
    dimensions {
      name  = "project_id"
      value = local.project_id
    }
  }

  condition {
    metric_name         = "services_unreadable"
    period              = 300
    filter              = "max"
    comparison_operator = ">"
    value               = 0
    count               = 1
    suppress_duration   = 0
    alarm_level         = 2
  }

  condition {
    metric_name         = "alerts_undelivered"
    period              = 300
    filter              = "max"
    comparison_operator = ">"
    value               = 0
    count               = 1
    suppress_duration   = 0
    alarm_level         = 2
  }

  alarm_actions {
    type              = "notification"
    notification_list = [huaweicloud_smn_topic.alerts.topic_urn]
  }

  ok_actions {
    type              = "notification"
    notification_list = [huaweicloud_smn_topic.alerts.topic_urn]
  }
}

output "function_urn" {
  description = "URN of the monitor function (for invoking it by hand or wiring more triggers)."
  value       = huaweicloud_fgs_function.monitor.urn
}

output "topic_urn" {
  description = "URN of the SMN topic alerts are published to; add subscriptions to it outside this module if needed."
  value       = huaweicloud_smn_topic.alerts.topic_urn
}

output "bucket_name" {
  description = "OBS bucket holding the snapshot and the audit trail."
  value       = huaweicloud_obs_bucket.state.bucket
}

output "agency_name" {
  description = "IAM agency the function runs with."
  value       = huaweicloud_identity_agency.monitor.name
}

output "log_group_id" {
  description = "LTS log group receiving the function's logs (null when lts_enabled is false)."
  value       = var.lts_enabled ? huaweicloud_lts_group.monitor[0].id : null
}

output "log_stream_id" {
  description = "LTS log stream receiving the function's logs (null when lts_enabled is false)."
  value       = var.lts_enabled ? huaweicloud_lts_stream.monitor[0].id : null
}

output "alarm_rule_ids" {
  description = "Cloud Eye alarm rules on the monitor's metrics, by purpose (pending, failed, monitor); empty when metrics are off."
  value = merge(
    { for r in huaweicloud_ces_alarmrule.pending : "pending" => r.id },
    { for r in huaweicloud_ces_alarmrule.failed : "failed" => r.id },
    { for r in huaweicloud_ces_alarmrule.monitor : "monitor" => r.id },
  )
}

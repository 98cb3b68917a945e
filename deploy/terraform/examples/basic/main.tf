# The smallest useful deployment: one monitor in one region. Every input it takes is a variable
# mirroring the module's (same name, type, default; the module validates them), so the schedule,
# the subscribers or force_destroy change in terraform.tfvars, never in this file.
#
#   export HW_ACCESS_KEY=... HW_SECRET_KEY=... HW_REGION_NAME=ap-southeast-1
#   (cd ../../../.. && npm ci && npm run package)
#   cp terraform.tfvars.example terraform.tfvars   # then edit it: bucket_name and subscriptions at least
#   terraform init
#   terraform apply

terraform {
  required_version = ">= 1.9.0"

  required_providers {
    huaweicloud = {
      source  = "huaweicloud/huaweicloud"
      version = ">= 1.62.1, < 2.0.0"
    }
  }
}

# Region and credentials come from HW_REGION_NAME, HW_ACCESS_KEY and HW_SECRET_KEY, so nothing
# secret is written here or into the state's configuration.
provider "huaweicloud" {}

module "vpcep_connection_monitor" {
  source = "../../modules/vpcep-connection-monitor"

  # Built by `npm run package` at the repository root.
  package_path = "${path.module}/../../../../dist/connection-monitor.zip"

  name                 = var.name
  # FunctionGraph's cron starts with SECONDS: 08:00 on weekdays, Shanghai time, is
  #   schedule_type = "Cron", schedule = "CRON_TZ=Asia/Shanghai 0 0 8 ? * MON-FRI"
  # (a five-field "0 8 * * 1-5" would run at minute 8 of every hour, January to May).
  schedule_type        = var.schedule_type
  schedule             = var.schedule
  bucket_name          = var.bucket_name
  obs_prefix           = var.obs_prefix
  force_destroy        = var.force_destroy
  audit_retention_days = var.audit_retention_days
  subscriptions        = var.subscriptions
  service_ids          = var.service_ids
  alert_statuses       = var.alert_statuses
  alert_on_baseline    = var.alert_on_baseline
  log_level            = var.log_level
  remind_pending_after = var.remind_pending_after
  approval_mode        = var.approval_mode
  auto_accept_domains  = var.auto_accept_domains
  auto_reject_domains  = var.auto_reject_domains
  metrics_namespace    = var.metrics_namespace

  posture_check_interval = var.posture_check_interval
  cts_attribution        = var.cts_attribution
  max_in_flight          = var.max_in_flight
}

output "function_urn" {
  value = module.vpcep_connection_monitor.function_urn
}

output "topic_urn" {
  value = module.vpcep_connection_monitor.topic_urn
}

output "bucket_name" {
  value = module.vpcep_connection_monitor.bucket_name
}

output "log_stream_id" {
  description = "Where to read the function's logs in LTS."
  value       = module.vpcep_connection_monitor.log_stream_id
}

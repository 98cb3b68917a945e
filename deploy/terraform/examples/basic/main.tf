# The smallest useful deployment: one monitor in one region, alerting one e-mail address.
#
#   export HW_ACCESS_KEY=... HW_SECRET_KEY=... HW_REGION_NAME=ap-southeast-1
#   (cd ../../../.. && npm ci && npm run package)
#   terraform init
#   terraform apply -var bucket_name=<globally unique name> -var alert_email=<you@example.com>

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

variable "bucket_name" {
  description = "OBS bucket for the monitor's snapshot and audit trail; must be unique across all of OBS."
  type        = string
}

variable "alert_email" {
  description = "Address that receives alerts. SMN e-mails a confirmation link first; nothing is delivered until it is clicked."
  type        = string
}

module "vpcep_connection_monitor" {
  source = "../../modules/vpcep-connection-monitor"

  # Built by `npm run package` at the repository root.
  package_path = "${path.module}/../../../../dist/connection-monitor.zip"
  bucket_name  = var.bucket_name

  subscriptions = [
    { protocol = "email", endpoint = var.alert_email },
  ]

  # Every 5 minutes by default. FunctionGraph's cron starts with SECONDS, so 08:00 on weekdays,
  # Shanghai time, is:
  #   schedule_type = "Cron"
  #   schedule      = "CRON_TZ=Asia/Shanghai 0 0 8 ? * MON-FRI"
  # (a five-field "0 8 * * 1-5" would run at minute 8 of every hour, January to May).
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

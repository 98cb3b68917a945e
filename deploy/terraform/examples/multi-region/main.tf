# One monitor per region, from one provider configuration.
#
# Terraform cannot for_each over provider configurations, but every regional huaweicloud resource
# takes a `region` argument, and the module passes its `region` variable to all of them. So a
# single provider can serve a for_each over regions (each region's default project). IAM agencies
# and custom policies are account-wide, hence a name per region.
#
#   export HW_ACCESS_KEY=... HW_SECRET_KEY=... HW_REGION_NAME=ap-southeast-1
#   terraform apply -var 'regions={"ap-southeast-1"={bucket_name="acme-vpcep-hk"},"ap-southeast-3"={bucket_name="acme-vpcep-sg"}}' \
#                   -var alert_email=ops@example.com

terraform {
  required_version = ">= 1.9.0"

  required_providers {
    huaweicloud = {
      source  = "huaweicloud/huaweicloud"
      version = ">= 1.62.1, < 2.0.0"
    }
  }
}

provider "huaweicloud" {}

variable "regions" {
  description = "Regions to monitor, each with its own state bucket (bucket names are unique across all of OBS)."
  type = map(object({
    bucket_name = string
  }))
}

variable "alert_email" {
  description = "Address that receives alerts from every region (one confirmation e-mail per region's topic)."
  type        = string
}

module "vpcep_connection_monitor" {
  source   = "../../modules/vpcep-connection-monitor"
  for_each = var.regions

  region       = each.key
  name         = "vpcep-monitor-${each.key}"
  package_path = "${path.module}/../../../../dist/connection-monitor.zip"
  bucket_name  = each.value.bucket_name

  subscriptions = [
    { protocol = "email", endpoint = var.alert_email },
  ]
}

output "function_urns" {
  value = { for region, monitor in module.vpcep_connection_monitor : region => monitor.function_urn }
}

output "topic_urns" {
  value = { for region, monitor in module.vpcep_connection_monitor : region => monitor.topic_urn }
}

# A project other than a region's default one (a sub-project such as ap-southeast-1_prod, or
# another account) needs its own provider configuration, and provider configurations cannot be
# chosen per for_each instance: write one module block per provider alias instead.
#
# provider "huaweicloud" {
#   alias        = "prod"
#   region       = "ap-southeast-1"
#   project_name = "ap-southeast-1_prod"
# }
#
# module "vpcep_connection_monitor_prod" {
#   source    = "../../modules/vpcep-connection-monitor"
#   providers = { huaweicloud = huaweicloud.prod }
#
#   name             = "vpcep-monitor-prod"
#   iam_project_name = "ap-southeast-1_prod" # where the agency's VPCEP/SMN permissions are granted
#   package_path     = "${path.module}/../../../../dist/connection-monitor.zip"
#   bucket_name      = "acme-vpcep-prod"
#   subscriptions    = [{ protocol = "email", endpoint = var.alert_email }]
# }

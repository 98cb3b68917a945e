# Mirrors of the module's inputs: same names, types and defaults (test/deploy/terraform.test.ts
# holds them together). Set them in terraform.tfvars (see terraform.tfvars.example).

variable "name" {
  description = "Base name for every resource: the function, SMN topic, agency, custom policies, timer trigger and LTS group/stream. The agency and policies are account-wide, so the name must be unique in the account, not just the project."
  type        = string
  default     = "vpcep-connection-monitor"
}

variable "schedule_type" {
  description = "Timer trigger type: \"Rate\" (a fixed interval such as 5m) or \"Cron\"."
  type        = string
  default     = "Rate"
}

variable "schedule" {
  description = "For Rate: 1m-60m, 1h-24h or 1d-30d. For Cron: FunctionGraph's cron, which always starts with seconds: \"seconds minutes hours day-of-month month [day-of-week]\" (five fields leave out day-of-week, they do not drop seconds), optionally after CRON_TZ=<zone>: \"CRON_TZ=Asia/Shanghai 0 0 8 ? * MON-FRI\" is 08:00 Shanghai time on weekdays, \"0 */5 * * * *\" every five minutes. Or \"@every <duration>\" (\"@every 5m\", \"@every 1.5h\"), a positive duration. Runs cannot overlap: the function is limited to one instance."
  type        = string
  default     = "5m"
}

variable "bucket_name" {
  description = "Name of the OBS bucket created for the snapshot and the audit trail. Bucket names are global across all of OBS, so pick one nobody else has."
  type        = string
}

variable "obs_prefix" {
  description = "Key prefix for everything the monitor writes (OBS_PREFIX). The agency may only touch keys under it."
  type        = string
  default     = "vpcep-monitor/"
}

variable "force_destroy" {
  description = "Let `terraform destroy` delete the bucket with every object version in it. Off by default so the audit trail cannot be lost by accident; turn it on (and apply) right before destroying."
  type        = bool
  default     = false
}

variable "audit_retention_days" {
  description = "Days after which audit records (under <obs_prefix>audit/) expire."
  type        = number
  default     = 400
}

variable "subscriptions" {
  description = "Who receives alerts. E-mail and SMS subscribers must confirm the invitation SMN sends before anything is delivered. Endpoints: an address for email, +<country><number> for sms, a URL for http/https, a workflow ID for functiongraph."
  type = list(object({
    protocol = string
    endpoint = string
  }))
  default = []
}

variable "service_ids" {
  description = "VPCEP_SERVICE_IDS: endpoint service IDs to watch. Empty watches every endpoint service of the project."
  type        = list(string)
  default     = []
}

variable "alert_statuses" {
  description = "ALERT_STATUSES: connection statuses that raise an alert. Null uses the function's default (pendingAcceptance, failed, rejected)."
  type        = list(string)
  default     = null
}

variable "alert_on_baseline" {
  description = "ALERT_ON_BASELINE: whether the first run (no snapshot yet) alerts on connections already in an alert status. Null uses the function's default (true)."
  type        = bool
  default     = null
}

variable "log_level" {
  description = "LOG_LEVEL of the function's JSON logs. Null uses the function's default (info)."
  type        = string
  default     = null
}

variable "remind_pending_after" {
  description = "REMIND_PENDING_AFTER: remind about a request still pendingAcceptance this long after it was reported, then every period (e.g. 30m, 24h, 2d). Null: no reminders."
  type        = string
  default     = null
}

variable "approval_mode" {
  description = "APPROVAL_MODE: off, dry-run (report what the policy would do) or enforce (accept and reject). Only enforce grants the agency vpcep:connections:update: a monitor that only reports needs no write access to VPCEP."
  type        = string
  default     = "off"
}

variable "auto_accept_domains" {
  description = "AUTO_ACCEPT_DOMAINS: consumer domain ids (32 hex digits) whose pending requests the policy accepts. Wins over auto_reject_domains."
  type        = list(string)
  default     = []
}

variable "auto_reject_domains" {
  description = "AUTO_REJECT_DOMAINS: consumer domain ids whose pending requests the policy rejects, or [\"*\"] for every domain not on auto_accept_domains."
  type        = list(string)
  default     = []
}

variable "metrics_namespace" {
  description = "METRICS_NAMESPACE: Cloud Eye namespace the function sends its custom metrics to, as service.item. An empty string turns metrics off, and with them the ces:metricData:create permission and the alarm rules."
  type        = string
  default     = "VPCEP.ConnectionMonitor"
}

variable "posture_check_interval" {
  description = "POSTURE_CHECK_INTERVAL: how often each endpoint service's whitelist is read (e.g. 1h, 6h). \"off\" stops the reads and removes vpcep:permissions:list from the agency. Null uses the function's default (1h)."
  type        = string
  default     = null
}

variable "cts_attribution" {
  description = "CTS_ATTRIBUTION: name who accepted or rejected each connection, from Cloud Trace Service traces. false turns it off and removes cts:trace:list from the agency."
  type        = bool
  default     = true
}

variable "max_in_flight" {
  description = "MAX_IN_FLIGHT: the most VPCEP list requests a run has in flight at once (1-64). Null uses the function's default (16)."
  type        = number
  default     = null
}

# No variable here holds a secret: the function authenticates with the temporary credentials of its
# agency (context.getSecurityAccessKey() and friends), never with an access key passed in.

# --- Placement and naming -----------------------------------------------------------------------

variable "region" {
  description = "Region to deploy into (its default project). Null uses the provider's region and project. Setting it lets one provider configuration serve a for_each over regions; IAM resources are account-wide, so give each instance its own name."
  type        = string
  default     = null

  validation {
    condition     = var.region == null || can(regex("^[a-z]{2,}(-[a-z0-9]+)+$", var.region))
    error_message = "region must be a region name such as ap-southeast-1."
  }
}

variable "name" {
  description = "Base name for every resource: the function, SMN topic, agency, custom policies, timer trigger and LTS group/stream. The agency and policies are account-wide, so the name must be unique in the account, not just the project."
  type        = string
  default     = "vpcep-connection-monitor"

  validation {
    # FunctionGraph: starts with a letter, ends with a letter or digit, letters/digits/_/- only.
    # 50 rather than the function's 60 so that the suffixed policy and stream names stay within
    # IAM's and LTS's 64-character limits.
    condition     = can(regex("^[A-Za-z][A-Za-z0-9_-]{0,48}[A-Za-z0-9]$", var.name))
    error_message = "name must be 2-50 characters of letters, digits, '_' or '-', start with a letter and end with a letter or digit."
  }
}

variable "package_path" {
  description = "Path to the code zip built by `npm run package` (dist/connection-monitor.zip). Its hash is part of the plan, so rebuilding and re-applying is how the code is updated."
  type        = string

  validation {
    condition     = endswith(var.package_path, ".zip") && fileexists(var.package_path)
    error_message = "package_path must name an existing .zip file; run `npm ci && npm run package` at the repository root first."
  }
}

variable "app" {
  description = "FunctionGraph application (formerly 'package') the function is grouped under."
  type        = string
  default     = "default"
}

variable "tags" {
  description = "Tags applied to the function, topic and bucket."
  type        = map(string)
  default     = {}
}

# --- Function -------------------------------------------------------------------------------------

variable "memory_size" {
  description = "Function memory in MB. 128 holds a quiet pass and a baseline at 100,000 connections (peak RSS at most 97 MiB in `npm run bench`); more memory also buys FunctionGraph's larger CPU share, and room beyond 100,000 connections (or shard)."
  type        = number
  default     = 128

  validation {
    condition     = contains([128, 256, 512, 768, 1024, 1280, 1536, 1792, 2048, 2560, 3072, 3584, 4096], var.memory_size)
    error_message = "memory_size must be one of FunctionGraph's sizes: 128, 256, 512, 768, 1024, 1280, 1536, 1792, 2048, 2560, 3072, 3584 or 4096."
  }
}

variable "timeout" {
  description = "Function timeout in seconds. The monitor reads context.getRemainingTimeInMilliSeconds() to bound its retries, so a longer timeout buys more retry budget, not a longer normal run."
  type        = number
  default     = 120

  validation {
    # Timer invocations are capped at 900 s, so anything longer would never be used.
    condition     = var.timeout >= 3 && var.timeout <= 900 && floor(var.timeout) == var.timeout
    error_message = "timeout must be a whole number of seconds from 3 to 900."
  }
}

# --- Schedule ---------------------------------------------------------------------------------

variable "schedule_type" {
  description = "Timer trigger type: \"Rate\" (a fixed interval such as 5m) or \"Cron\"."
  type        = string
  default     = "Rate"

  validation {
    condition     = contains(["Rate", "Cron"], var.schedule_type)
    error_message = "schedule_type must be \"Rate\" or \"Cron\"."
  }
}

variable "schedule" {
  description = "For Rate: 1m-60m, 1h-24h or 1d-30d. For Cron: FunctionGraph's cron, which always starts with seconds: \"seconds minutes hours day-of-month month [day-of-week]\" (five fields leave out day-of-week, they do not drop seconds), optionally after CRON_TZ=<zone>: \"CRON_TZ=Asia/Shanghai 0 0 8 ? * MON-FRI\" is 08:00 Shanghai time on weekdays, \"0 */5 * * * *\" every five minutes. Or \"@every <duration>\" (\"@every 5m\", \"@every 1.5h\"), a positive duration. Runs cannot overlap: the function is limited to one instance."
  type        = string
  default     = "5m"

  validation {
    # FunctionGraph's timer rules ("Cron Expressions for a Function Timer Trigger",
    # usermanual-functiongraph/functiongraph_01_0908): Rate is a whole number of minutes (1-60),
    # hours (1-24) or days (1-30). Cron is "seconds minutes hours day-of-month month day-of-week"
    # with day-of-week optional, so five or six fields, after an optional CRON_TZ=<zone> prefix; or
    # @every <duration> (units ns, us/µs, ms, s, m, h; decimals allowed) that is not zero: an empty
    # @every and @every 0s are refused.
    # The same patterns appear in the trigger's precondition in main.tf, which pairs them with
    # schedule_type; test/deploy runs both against the same cases.
    condition = (
      can(regex("^(([1-9]|[1-5][0-9]|60)m|([1-9]|1[0-9]|2[0-4])h|([1-9]|[12][0-9]|30)d)$", var.schedule)) ||
      can(regex("^(CRON_TZ=[A-Za-z0-9_+/-]+ +)?[0-9A-Za-z*?/,#-]+( +[0-9A-Za-z*?/,#-]+){4,5}$", var.schedule)) ||
      (can(regex("^@every +([0-9]+(\\.[0-9]+)?(ns|us|µs|ms|s|m|h))+$", var.schedule)) && can(regex("[1-9]", var.schedule)))
    )
    error_message = "schedule must be a Rate (1m-60m, 1h-24h, 1d-30d) or a Cron expression: seconds minutes hours day-of-month month [day-of-week], optionally after CRON_TZ=<zone> and a space, or @every <positive duration> such as @every 5m."
  }
}

# --- State bucket -----------------------------------------------------------------------------

variable "bucket_name" {
  description = "Name of the OBS bucket created for the snapshot and the audit trail. Bucket names are global across all of OBS, so pick one nobody else has."
  type        = string

  validation {
    condition = (
      can(regex("^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$", var.bucket_name)) &&
      !can(regex("\\.\\.|\\.-|-\\.", var.bucket_name)) &&
      !can(regex("^[0-9]+\\.[0-9]+\\.[0-9]+\\.[0-9]+$", var.bucket_name))
    )
    error_message = "bucket_name must be 3-63 lower-case letters, digits, '-' or '.', start and end with a letter or digit, have no '..', '.-' or '-.', and not look like an IP address."
  }
}

variable "obs_prefix" {
  description = "Key prefix for everything the monitor writes (OBS_PREFIX). The agency may only touch keys under it."
  type        = string
  default     = "vpcep-monitor/"

  validation {
    # The function appends a missing '/', but the IAM resource and lifecycle prefixes are built
    # here, so require the normalised form rather than silently granting `prefix*`.
    condition     = length(var.obs_prefix) > 1 && endswith(var.obs_prefix, "/") && !startswith(var.obs_prefix, "/") && !strcontains(var.obs_prefix, "//")
    error_message = "obs_prefix must be a relative key prefix ending in '/', such as \"vpcep-monitor/\"."
  }

  validation {
    # The prefix becomes part of the agency's OBS resource string, and IAM resource strings hold
    # only -_0-9a-zA-Z*./\ . Of those, '*' would widen the grant to other keys and '\' is refused
    # by the function (OBS_PREFIX), so both are left out too.
    condition     = can(regex("^[-_0-9a-zA-Z./]+$", var.obs_prefix))
    error_message = "obs_prefix may only contain letters, digits, '-', '_', '.' and '/': it is part of an IAM resource string."
  }
}

variable "audit_retention_days" {
  description = "Days after which audit records (under <obs_prefix>audit/) expire."
  type        = number
  default     = 400

  validation {
    condition     = var.audit_retention_days >= 1 && floor(var.audit_retention_days) == var.audit_retention_days
    error_message = "audit_retention_days must be a whole number of days, at least 1."
  }
}

variable "noncurrent_version_retention_days" {
  description = "Days an overwritten or expired object version is kept before OBS deletes it. Versioning keeps every earlier snapshot for this long, which is what lets you recover from a bad run."
  type        = number
  default     = 30

  validation {
    condition     = var.noncurrent_version_retention_days >= 1 && floor(var.noncurrent_version_retention_days) == var.noncurrent_version_retention_days
    error_message = "noncurrent_version_retention_days must be a whole number of days, at least 1."
  }
}

variable "force_destroy" {
  description = "Let `terraform destroy` delete the bucket with every object version in it. Off by default so the audit trail cannot be lost by accident; turn it on (and apply) right before destroying."
  type        = bool
  default     = false
}

# --- Notifications --------------------------------------------------------------------------------

variable "topic_display_name" {
  description = "SMN topic display name, shown as the sender name of alert e-mails."
  type        = string
  default     = "VPC Endpoint connection monitor"

  validation {
    condition     = length(var.topic_display_name) <= 192
    error_message = "topic_display_name must be at most 192 characters."
  }
}

variable "subscriptions" {
  description = "Who receives alerts. E-mail and SMS subscribers must confirm the invitation SMN sends before anything is delivered. Endpoints: an address for email, +<country><number> for sms, a URL for http/https, a workflow ID for functiongraph."
  type = list(object({
    protocol = string
    endpoint = string
  }))
  default = []

  validation {
    condition     = alltrue([for s in var.subscriptions : contains(["email", "sms", "http", "https", "functiongraph"], s.protocol)])
    error_message = "Each subscription protocol must be one of email, sms, http, https or functiongraph."
  }

  validation {
    condition = alltrue([
      for s in var.subscriptions : (
        s.protocol == "http" ? startswith(s.endpoint, "http://") :
        s.protocol == "https" ? startswith(s.endpoint, "https://") :
        s.protocol == "email" ? can(regex("^[^@\\s]+@[^@\\s]+$", s.endpoint)) :
        s.protocol == "sms" ? can(regex("^\\+?[0-9]{6,20}$", s.endpoint)) :
        length(s.endpoint) > 0
      )
    ])
    error_message = "Each subscription endpoint must fit its protocol: http:// or https:// URLs, an e-mail address, or a phone number like +8613600000000."
  }

  validation {
    # The for_each key is protocol/endpoint, so a duplicate would be a plan-time error anyway;
    # say what is wrong instead.
    condition     = length(distinct([for s in var.subscriptions : "${s.protocol}/${s.endpoint}"])) == length(var.subscriptions)
    error_message = "subscriptions must not list the same protocol and endpoint twice."
  }
}

# --- Monitor settings (user_data) -------------------------------------------------------------------
# Optional settings default to null, which leaves them out of user_data so the function's own
# defaults (lib/config.ts) stay the single source of truth.

variable "service_ids" {
  description = "VPCEP_SERVICE_IDS: endpoint service IDs to watch. Empty watches every endpoint service of the project."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for id in var.service_ids : can(regex("^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$", id))])
    error_message = "service_ids must be endpoint service IDs (lower-case UUIDs)."
  }
}

variable "alert_statuses" {
  description = "ALERT_STATUSES: connection statuses that raise an alert. Null uses the function's default (pendingAcceptance, failed, rejected)."
  type        = list(string)
  default     = null

  validation {
    # As the function checks ALERT_STATUSES: a documented VPCEP status in any case, or +name for a
    # status VPCEP added later. Terraform's || evaluates both sides, so null is handled by try().
    condition = try(length(var.alert_statuses) > 0 && alltrue([
      for s in var.alert_statuses :
      contains(["pendingacceptance", "creating", "accepted", "rejected", "failed", "deleting"], lower(s)) || can(regex("^\\+[A-Za-z]+$", s))
    ]), var.alert_statuses == null)
    error_message = "alert_statuses must be null or a non-empty list of VPCEP statuses (pendingAcceptance, creating, accepted, rejected, failed, deleting), or +name for a status VPCEP added later."
  }
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

  validation {
    # The function takes the level in any case (LOG_LEVEL=DEBUG), so the module does too.
    condition     = var.log_level == null || contains(["fatal", "error", "warn", "info", "debug", "trace", "silent"], lower(coalesce(var.log_level, "info")))
    error_message = "log_level must be one of fatal, error, warn, info, debug, trace or silent."
  }
}

variable "vpcep_endpoint" {
  description = "VPCEP_ENDPOINT: override of https://vpcep.<region>.myhuaweicloud.com (.eu in eu-west-101), e.g. a private endpoint. Null uses the public regional endpoint."
  type        = string
  default     = null

  validation {
    # The function itself allows plain http only to loopback (local testing), which is useless
    # in the cloud, so only bare https origins are accepted here; a port must be one URL parsing
    # takes (the function refuses https://host:99999).
    condition     = var.vpcep_endpoint == null || (can(regex("^https://[^/?#@\\s:]+(:[0-9]{1,5})?$", var.vpcep_endpoint)) && try(tonumber(regex(":([0-9]+)$", var.vpcep_endpoint)[0]) <= 65535, true))
    error_message = "vpcep_endpoint must be a bare https:// origin (no path, query or credentials)."
  }
}

variable "smn_endpoint" {
  description = "SMN_ENDPOINT: override of https://smn.<region>.myhuaweicloud.com (.eu in eu-west-101). Null uses the public regional endpoint."
  type        = string
  default     = null

  validation {
    condition     = var.smn_endpoint == null || (can(regex("^https://[^/?#@\\s:]+(:[0-9]{1,5})?$", var.smn_endpoint)) && try(tonumber(regex(":([0-9]+)$", var.smn_endpoint)[0]) <= 65535, true))
    error_message = "smn_endpoint must be a bare https:// origin (no path, query or credentials)."
  }
}

variable "obs_endpoint" {
  description = "OBS_ENDPOINT: override of https://obs.<region>.myhuaweicloud.com (.eu in eu-west-101). Null uses the public regional endpoint."
  type        = string
  default     = null

  validation {
    condition     = var.obs_endpoint == null || (can(regex("^https://[^/?#@\\s:]+(:[0-9]{1,5})?$", var.obs_endpoint)) && try(tonumber(regex(":([0-9]+)$", var.obs_endpoint)[0]) <= 65535, true))
    error_message = "obs_endpoint must be a bare https:// origin (no path, query or credentials)."
  }
}

# --- Permissions ----------------------------------------------------------------------------------

variable "approval_mode" {
  description = "APPROVAL_MODE: off, dry-run (report what the policy would do) or enforce (accept and reject). Only enforce grants the agency vpcep:connections:update: a monitor that only reports needs no write access to VPCEP."
  type        = string
  default     = "off"

  validation {
    condition     = contains(["off", "dry-run", "enforce"], var.approval_mode)
    error_message = "approval_mode must be off, dry-run or enforce."
  }

  validation {
    # The function refuses a policy that names nobody (APPROVAL_MODE without AUTO_ACCEPT_DOMAINS or
    # AUTO_REJECT_DOMAINS): every run would fail at start.
    condition     = var.approval_mode == "off" || length(var.auto_accept_domains) + length(var.auto_reject_domains) > 0
    error_message = "approval_mode ${var.approval_mode} needs at least one domain on auto_accept_domains or auto_reject_domains (or auto_reject_domains = [\"*\"])."
  }
}

variable "auto_accept_domains" {
  description = "AUTO_ACCEPT_DOMAINS: consumer domain ids (32 hex digits) whose pending requests the policy accepts. Wins over auto_reject_domains. Each id takes 33 of the 4096 characters FunctionGraph allows for all settings together (about 110 fit)."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for d in var.auto_accept_domains : can(regex("^[0-9a-f]{32}$", d))])
    error_message = "auto_accept_domains holds domain ids: 32 lower-case hex digits each."
  }
}

variable "auto_reject_domains" {
  description = "AUTO_REJECT_DOMAINS: consumer domain ids whose pending requests the policy rejects, or [\"*\"] for every domain not on auto_accept_domains."
  type        = list(string)
  default     = []

  validation {
    # A list(string) never equals the tuple literal ["*"]: compare with a list.
    condition     = var.auto_reject_domains == tolist(["*"]) || alltrue([for d in var.auto_reject_domains : can(regex("^[0-9a-f]{32}$", d))])
    error_message = "auto_reject_domains is [\"*\"] alone or a list of domain ids (32 lower-case hex digits)."
  }
}

variable "remind_pending_after" {
  description = "REMIND_PENDING_AFTER: remind about a request still pendingAcceptance this long after it was reported, then every period (e.g. 30m, 24h, 2d). Null: no reminders."
  type        = string
  default     = null

  validation {
    # As the function reads REMIND_PENDING_AFTER: up to 7 digits and a unit, and not zero.
    condition     = var.remind_pending_after == null || (can(regex("^[0-9]{1,7}[smhd]$", var.remind_pending_after)) && can(regex("[1-9]", var.remind_pending_after)))
    error_message = "remind_pending_after is a positive whole number (up to 7 digits) followed by s, m, h or d, e.g. 24h."
  }
}

variable "posture_check_interval" {
  description = "POSTURE_CHECK_INTERVAL: how often each endpoint service's whitelist is read (e.g. 1h, 6h; reads are spread across runs). \"off\" stops the reads and removes vpcep:permissions:list from the agency. Null uses the function's default (1h)."
  type        = string
  default     = null

  validation {
    # As the function reads it: off (any case), or up to 7 digits and a unit, and not zero.
    condition     = var.posture_check_interval == null || try(lower(var.posture_check_interval) == "off", false) || (can(regex("^[0-9]{1,7}[smhd]$", var.posture_check_interval)) && can(regex("[1-9]", var.posture_check_interval)))
    error_message = "posture_check_interval is off, or a positive whole number (up to 7 digits) followed by s, m, h or d, e.g. 1h."
  }
}

variable "cts_attribution" {
  description = "CTS_ATTRIBUTION: name who accepted or rejected each connection, from Cloud Trace Service traces. false sets CTS_ATTRIBUTION=off and removes cts:trace:list from the agency."
  type        = bool
  default     = true
  nullable    = false
}

variable "cts_endpoint" {
  description = "CTS_ENDPOINT: override of https://cts.<region>.myhuaweicloud.com (.eu in eu-west-101). Null uses the public regional endpoint."
  type        = string
  default     = null

  validation {
    condition     = var.cts_endpoint == null || (can(regex("^https://[^/?#@\\s:]+(:[0-9]{1,5})?$", var.cts_endpoint)) && try(tonumber(regex(":([0-9]+)$", var.cts_endpoint)[0]) <= 65535, true))
    error_message = "cts_endpoint must be a bare https:// origin (no path, query or credentials)."
  }
}

variable "max_in_flight" {
  description = "MAX_IN_FLIGHT: the most VPCEP list requests a run has in flight at once (a whole number, 1-64). Null uses the function's default (16)."
  type        = number
  default     = null

  validation {
    condition     = var.max_in_flight == null || try(var.max_in_flight >= 1 && var.max_in_flight <= 64 && floor(var.max_in_flight) == var.max_in_flight, false)
    error_message = "max_in_flight is a whole number from 1 to 64."
  }
}

# --- Cloud Eye metrics and alarms (alarms.tf) -------------------------------------------------------

variable "metrics_namespace" {
  description = "METRICS_NAMESPACE: Cloud Eye namespace the function sends its custom metrics to, as service.item (3-32 characters in total; not SYS*, AGT*, SRE* or SERVICE.BMS). An empty string turns metrics off, and with them the ces:metricData:create permission and the alarm rules."
  type        = string
  default     = "VPCEP.ConnectionMonitor"

  validation {
    # Cloud Eye's custom namespaces: service.item, each part a letter then letters, digits or '_';
    # 3-32 characters in total; the service part may not start with SYS, AGT or SRE (in any case:
    # the documents do not say), and SERVICE.BMS is taken. lib/config-values.ts applies the same
    # rules; test/deploy/terraform-agreement.test.ts runs both, through Terraform, on one table.
    condition = var.metrics_namespace == "" || (
      can(regex("^[A-Za-z][A-Za-z0-9_]*\\.[A-Za-z][A-Za-z0-9_]*$", var.metrics_namespace)) &&
      can(regex("^.{3,32}$", var.metrics_namespace)) &&
      !can(regex("^(SYS|AGT|SRE)", upper(var.metrics_namespace))) &&
      try(upper(var.metrics_namespace) != "SERVICE.BMS", false)
    )
    error_message = "metrics_namespace must be \"\" (metrics off) or service.item: 3-32 characters in total, each part a letter then letters, digits or '_', not starting with SYS, AGT or SRE, and not SERVICE.BMS."
  }
}

variable "ces_endpoint" {
  description = "CES_ENDPOINT: override of https://ces.<region>.myhuaweicloud.com (.eu in eu-west-101). Null uses the public regional endpoint."
  type        = string
  default     = null

  validation {
    condition     = var.ces_endpoint == null || (can(regex("^https://[^/?#@\\s:]+(:[0-9]{1,5})?$", var.ces_endpoint)) && try(tonumber(regex(":([0-9]+)$", var.ces_endpoint)[0]) <= 65535, true))
    error_message = "ces_endpoint must be a bare https:// origin (no path, query or credentials)."
  }
}

variable "pending_alarm_after" {
  description = "Cloud Eye alarm on pending_oldest_seconds: a connection request waiting in pendingAcceptance longer than this (s, m, h or d, e.g. 24h) notifies the module's topic. Null: no such alarm. Needs metrics on."
  type        = string
  default     = "24h"

  validation {
    condition     = var.pending_alarm_after == null || can(regex("^0*[1-9][0-9]{0,6}[smhd]$", var.pending_alarm_after))
    error_message = "pending_alarm_after must be null or a positive whole number followed by s, m, h or d, e.g. 24h."
  }
}

variable "iam_project_name" {
  description = "Name of the IAM project the regional permissions are granted in. Null means the region's default project (named after the region, e.g. ap-southeast-1); set it when deploying into a sub-project such as ap-southeast-1_prod."
  type        = string
  default     = null
}

# --- Logs -----------------------------------------------------------------------------------------

variable "lts_enabled" {
  description = "Create an LTS log group and stream and send the function's logs there."
  type        = bool
  default     = true
}

variable "log_retention_days" {
  description = "Days LTS keeps the function's logs."
  type        = number
  default     = 30

  validation {
    condition     = var.log_retention_days >= 1 && var.log_retention_days <= 365 && floor(var.log_retention_days) == var.log_retention_days
    error_message = "log_retention_days must be a whole number from 1 to 365."
  }
}

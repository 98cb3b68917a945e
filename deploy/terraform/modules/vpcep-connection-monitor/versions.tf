terraform {
  # Validations that read other variables and locals (approval_mode needs a domain, the size of all
  # settings together) need 1.9; before it, such a module does not load.
  required_version = ">= 1.9.0"

  required_providers {
    huaweicloud = {
      source = "huaweicloud/huaweicloud"
      # huaweicloud_fgs_function_trigger (the non-deprecated timer trigger) first shipped in 1.62.1.
      version = ">= 1.62.1, < 2.0.0"
    }
  }
}

terraform {
  # Validations that read other variables (approval_mode needs a domain) need 1.9; before it,
  # such a module does not load. docs/deploy.md documents the same floor.
  required_version = ">= 1.9.0"

  required_providers {
    huaweicloud = {
      source = "huaweicloud/huaweicloud"
      # huaweicloud_fgs_function_trigger (the non-deprecated timer trigger) first shipped in 1.62.1.
      version = ">= 1.62.1, < 2.0.0"
    }
  }
}

terraform {
  # Validations use startswith() (1.3+) and the trigger uses a precondition (1.2+); 1.5 is the
  # floor docs/deploy.md documents and the examples were written against.
  required_version = ">= 1.5.0"

  required_providers {
    huaweicloud = {
      source = "huaweicloud/huaweicloud"
      # huaweicloud_fgs_function_trigger (the non-deprecated timer trigger) first shipped in 1.62.1.
      version = ">= 1.62.1, < 2.0.0"
    }
  }
}

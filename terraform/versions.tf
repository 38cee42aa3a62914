terraform {
  # Cross-variable checks (Fargate CPU/memory pairs, min_tasks <= max_tasks) are
  # preconditions rather than variable validations, so 1.6 is enough: they fail
  # `terraform plan` all the same.
  required_version = ">= 1.6"

  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = "~> 6.0"
    }
  }
}

provider "aws" {
  region  = var.aws_region
  profile = var.aws_profile

  # AWS Academy Learner Lab: paste the lab's credentials into a file and point
  # aws_shared_credentials_files at it. Empty means the SDK's usual chain
  # (environment variables, ~/.aws/credentials, SSO, instance roles).
  shared_credentials_files = length(var.aws_shared_credentials_files) > 0 ? var.aws_shared_credentials_files : null

  default_tags {
    tags = merge(
      {
        Project   = "taskoverflow"
        Service   = var.name
        ManagedBy = "terraform"
      },
      var.tags,
    )
  }
}

data "aws_region" "current" {}

data "aws_caller_identity" "current" {}

data "aws_partition" "current" {}

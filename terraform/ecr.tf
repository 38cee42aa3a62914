################################################################################
# ECR repository for the service's image
#
# Terraform creates the repository; it does not build or push the image.
# scripts/push-image.sh does that with the docker CLI (docker build, then
# `aws ecr get-login-password | docker login`, docker push). The
# kreuzwerker/docker provider could build and push from Terraform, but it needs
# a running Docker engine on every plan and apply (also for changes that have
# nothing to do with the image), and it ties image builds to Terraform state:
# a rebuild becomes an infrastructure change, and losing or sharing the state
# means rebuilding. Keeping the build outside leaves Terraform to deploy an
# already-pushed, immutable tag (var.image_tag).
#
# Order on a fresh account (image_tag unset makes the first apply skip the
# task definition and service, so no -target is needed):
#   1. terraform apply                          # VPC/SGs, ECR, RDS, ALB, logs
#   2. scripts/push-image.sh                    # prints the tag it pushed
#   3. terraform apply -var image_tag=<tag>     # task definition + service
################################################################################

resource "aws_ecr_repository" "this" {
  #checkov:skip=CKV_AWS_136:Images are encrypted at rest with AES-256 (encryption_configuration below). They hold the built code and no data or secrets (the password comes from Secrets Manager at start-up), and ECR cannot change a repository's encryption: a KMS key would mean replacing the repository and its images.
  name = local.name

  # A tag names one image forever: the tag deployed is the git SHA reported by
  # the service as SERVICE_VERSION, and a rollback redeploys exactly that image.
  image_tag_mutability = "IMMUTABLE"
  force_delete         = var.ecr_force_delete

  image_scanning_configuration {
    scan_on_push = true
  }

  encryption_configuration {
    encryption_type = "AES256"
  }
}

resource "aws_ecr_lifecycle_policy" "this" {
  repository = aws_ecr_repository.this.name

  # Rules are evaluated by rulePriority; a tagStatus "any" rule must come last.
  policy = jsonencode({
    rules = [
      {
        rulePriority = 1
        description  = "Expire untagged images (left by failed or superseded pushes) after 7 days"
        selection = {
          tagStatus   = "untagged"
          countType   = "sinceImagePushed"
          countUnit   = "days"
          countNumber = 7
        }
        action = { type = "expire" }
      },
      {
        rulePriority = 2
        description  = "Keep the ${var.ecr_keep_images} most recent images"
        selection = {
          tagStatus   = "any"
          countType   = "imageCountMoreThan"
          countNumber = var.ecr_keep_images
        }
        action = { type = "expire" }
      },
    ]
  })
}

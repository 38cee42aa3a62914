#!/usr/bin/env bash
# Build TaskOverflow's image from docker/Dockerfile (build context: the
# repository root) and push it to the ECR repository this Terraform module
# created, then print the tag to deploy:
#
#   terraform/scripts/push-image.sh            # tag = short git SHA (+ -dirty-<time> with uncommitted changes)
#   terraform/scripts/push-image.sh v1.2.3     # tag given explicitly
#   PLATFORM=linux/arm64 terraform/scripts/push-image.sh   # for cpu_architecture = "ARM64"
#
# Then: terraform -chdir=terraform apply -var image_tag=<tag>
#
# Needs: docker (with buildx, for --platform), the AWS CLI v2, git, terraform,
# and AWS credentials (the same ones Terraform uses; AWS_PROFILE and
# AWS_SHARED_CREDENTIALS_FILE are honoured by the AWS CLI).
#
# Why the docker CLI and not the kreuzwerker/docker Terraform provider: that
# provider needs a reachable Docker engine on every terraform plan and apply,
# even for changes unrelated to the image, and it makes each image build part
# of Terraform state (a rebuild becomes an infrastructure change; a lost or
# shared state means rebuilding). Here the image is built and pushed once,
# under an immutable tag, and Terraform only deploys that tag.
#
# Environment overrides: ECR_REPOSITORY_URL and AWS_REGION (otherwise read
# from `terraform output`), PLATFORM (default linux/amd64).
set -euo pipefail

terraform_dir="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
repo_root="$(cd "${terraform_dir}/.." && pwd)"

die() {
  echo "push-image: $*" >&2
  exit 1
}

for tool in docker aws git; do
  command -v "${tool}" >/dev/null 2>&1 || die "${tool} is not installed"
done

tf_output() {
  command -v terraform >/dev/null 2>&1 || die "terraform is not installed; set ECR_REPOSITORY_URL and AWS_REGION instead"
  terraform -chdir="${terraform_dir}" output -raw "$1" 2>/dev/null \
    || die "no '$1' output: run 'terraform apply' in ${terraform_dir} first (it creates the ECR repository)"
}

repository_url="${ECR_REPOSITORY_URL:-$(tf_output ecr_repository_url)}"
region="${AWS_REGION:-$(tf_output aws_region)}"
platform="${PLATFORM:-linux/amd64}"
registry="${repository_url%%/*}"
repository_name="${repository_url#*/}"

if [[ $# -ge 1 && -n "$1" ]]; then
  tag="$1"
else
  tag="$(git -C "${repo_root}" rev-parse --short=12 HEAD)"
  # The repository's tags are immutable: a build of uncommitted changes gets
  # its own tag instead of claiming the commit's.
  if [[ -n "$(git -C "${repo_root}" status --porcelain)" ]]; then
    tag="${tag}-dirty-$(date -u +%Y%m%d%H%M%S)"
  fi
fi
[[ "${tag}" =~ ^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$ ]] || die "invalid image tag '${tag}'"

image="${repository_url}:${tag}"

if aws ecr describe-images --region "${region}" --repository-name "${repository_name}" \
  --image-ids "imageTag=${tag}" >/dev/null 2>&1; then
  echo "push-image: ${image} is already in ECR (tags are immutable); not rebuilding." >&2
else
  echo "push-image: building ${image} for ${platform}" >&2
  # --pull: the base image is fetched from the registry by the Dockerfile's
  # pinned digest on every build, never taken from a local copy.
  docker build \
    --pull \
    --platform "${platform}" \
    --file "${repo_root}/docker/Dockerfile" \
    --tag "${image}" \
    "${repo_root}"

  echo "push-image: logging in to ${registry}" >&2
  aws ecr get-login-password --region "${region}" \
    | docker login --username AWS --password-stdin "${registry}"

  docker push "${image}"
fi

cat >&2 <<EOF

${image} is in ECR. Deploy it with:
  terraform -chdir=${terraform_dir} apply -var image_tag=${tag}
(or set image_tag = "${tag}" in terraform.tfvars)
EOF
# The tag alone on stdout, for scripts: TAG=$(scripts/push-image.sh)
echo "${tag}"

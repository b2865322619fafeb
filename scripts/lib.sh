# Shared helpers for the lab scripts: messages, failures and image names.
# Sourced, not run.

say() { printf '==> %s\n' "$*"; }
warn() { printf 'WARNING: %s\n' "$*" >&2; }
die() { printf 'ERROR: %s\n' "$*" >&2; exit 1; }

# Image names, overridable from the environment.
: "${LAB_IMAGE_PREFIX:=devopslab}"
: "${LAB_ROOTFS_IMAGE:=${LAB_IMAGE_PREFIX}/debian:12}"
: "${LAB_PYTHON_BASE_IMAGE:=${LAB_IMAGE_PREFIX}/python-base:3.11-bookworm}"
: "${LAB_OFFICIAL_PYTHON_IMAGE:=python:3.11.11-slim-bookworm}"
: "${LAB_CACHE_DIR:=${REPO_ROOT:-.}/.cache}"

image_exists() { docker image inspect "$1" >/dev/null 2>&1; }

engine_answers() { docker info >/dev/null 2>&1; }

# The Debian mirror the host's own apt sources name; the project writes none down.
debian_mirror() {
  local uri
  uri=$(grep -hE '^URIs:' /etc/apt/sources.list.d/*.sources 2>/dev/null \
        | awk '{print $2}' | grep -v -- '-security' | head -n 1)
  if [ -z "$uri" ]; then
    uri=$(grep -hE '^deb[[:space:]]+(\[[^]]*\][[:space:]]+)?https?://' \
            /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null \
          | grep -v -- '-security' | sed -E 's/^deb[[:space:]]+(\[[^]]*\][[:space:]]+)?//' \
          | awk '{print $1}' | head -n 1)
  fi
  [ -n "$uri" ] || die "no Debian mirror found in /etc/apt/sources.list*; set LAB_DEBIAN_MIRROR"
  printf '%s\n' "${LAB_DEBIAN_MIRROR:-$uri}"
}

#!/usr/bin/env bash
# Builds, or reuses, the images the lab needs without any registry:
#   - a Debian 12 root filesystem image made with debootstrap from Debian's archive;
#   - the Python base image the lab apps build FROM (the official pinned tag when a
#     registry answers, else one made from that root filesystem);
#   - the systemd lab VM image (LAB_DISTRO=ubuntu2204|debian12, default: what can be had).
# It writes .cache/lab-vars.yml, the choices the playbooks are run with.
set -euo pipefail
REPO_ROOT=$(cd "$(dirname "$0")/.." && pwd)
. "$REPO_ROOT/scripts/lib.sh"
# The classic builder needs no buildx plugin, which Debian's docker.io does not ship on
# every release; newer clients print a deprecation notice for it, which is harmless.
export DOCKER_BUILDKIT=0

: "${LAB_DISTRO:=auto}"
: "${LAB_PULL_TIMEOUT:=20}"
mkdir -p "$LAB_CACHE_DIR/images"

can_pull() { timeout "$LAB_PULL_TIMEOUT" docker pull -q "$1" >/dev/null 2>&1; }

build_rootfs_image() {
  if image_exists "$LAB_ROOTFS_IMAGE"; then
    say "Reusing $LAB_ROOTFS_IMAGE"
    return
  fi
  command -v debootstrap >/dev/null 2>&1 \
    || die "debootstrap is missing: apt-get install debootstrap (it makes the base image from Debian's archive)"
  local mirror rootfs
  mirror=$(debian_mirror)
  rootfs=$(mktemp -d)
  say "Making $LAB_ROOTFS_IMAGE with debootstrap from $mirror (about 30 s)"
  debootstrap --variant=minbase bookworm "$rootfs" "$mirror" >"$LAB_CACHE_DIR/debootstrap.log" 2>&1 \
    || { rm -rf "$rootfs"; die "debootstrap failed; see $LAB_CACHE_DIR/debootstrap.log"; }
  # debootstrap leaves its downloaded packages and the archive's lists behind (about 80 MB);
  # every image built on this one runs apt-get update first.
  rm -rf "$rootfs"/var/cache/apt/archives/*.deb "$rootfs"/var/lib/apt/lists/*
  tar -C "$rootfs" -c . | docker import -c 'CMD ["/bin/bash"]' - "$LAB_ROOTFS_IMAGE" >/dev/null
  rm -rf "$rootfs"
}

# The host's CA bundle goes into images that run pip or apt over HTTPS, since
# an intercepting proxy may stand between them and the registries.
stage_ca_bundle() {
  local context=$1
  if [ -f /etc/ssl/certs/ca-certificates.crt ]; then
    cp /etc/ssl/certs/ca-certificates.crt "$context/host-ca-bundle.crt"
  else
    : >"$context/host-ca-bundle.crt"
  fi
}

choose_python_base() {
  if can_pull "$LAB_OFFICIAL_PYTHON_IMAGE"; then
    say "A registry answers: the apps build FROM $LAB_OFFICIAL_PYTHON_IMAGE"
    PYTHON_BASE=$LAB_OFFICIAL_PYTHON_IMAGE
    return
  fi
  say "No registry answers: the apps build FROM $LAB_PYTHON_BASE_IMAGE, made from Debian's archive"
  build_rootfs_image
  local context
  context=$(mktemp -d)
  cp "$REPO_ROOT/scripts/python-base/Dockerfile" "$context/"
  stage_ca_bundle "$context"
  docker build -q --build-arg "BASE_IMAGE=$LAB_ROOTFS_IMAGE" -t "$LAB_PYTHON_BASE_IMAGE" "$context" >/dev/null \
    || die "building $LAB_PYTHON_BASE_IMAGE failed"
  rm -rf "$context"
  PYTHON_BASE=$LAB_PYTHON_BASE_IMAGE
}

choose_distro() {
  case "$LAB_DISTRO" in
    ubuntu2204|debian12) DISTRO=$LAB_DISTRO ;;
    auto)
      if can_pull ubuntu:22.04; then DISTRO=ubuntu2204; else DISTRO=debian12; fi
      say "LAB_DISTRO not set: picked $DISTRO (ubuntu2204 needs a registry that serves ubuntu:22.04)"
      ;;
    *) die "LAB_DISTRO must be ubuntu2204 or debian12, not '$LAB_DISTRO'" ;;
  esac
}

build_lab_vm_image() {
  local from context
  case "$DISTRO" in
    ubuntu2204)
      can_pull ubuntu:22.04 || image_exists ubuntu:22.04 \
        || die "LAB_DISTRO=ubuntu2204 needs the ubuntu:22.04 image and no registry serves it; use LAB_DISTRO=debian12"
      from=ubuntu:22.04 ;;
    debian12)
      build_rootfs_image
      from=$LAB_ROOTFS_IMAGE ;;
  esac
  LAB_VM_IMAGE="$LAB_IMAGE_PREFIX/lab-vm:$DISTRO"
  context=$(mktemp -d)
  cp -r "$REPO_ROOT/scripts/lab-vm/." "$context/"
  stage_ca_bundle "$context"
  say "Building $LAB_VM_IMAGE FROM $from (cached layers make a rebuild take seconds)"
  docker build -q --build-arg "BASE_IMAGE=$from" -t "$LAB_VM_IMAGE" "$context" >"$LAB_CACHE_DIR/lab-vm-build.log" 2>&1 \
    || { cat "$LAB_CACHE_DIR/lab-vm-build.log" >&2; die "building $LAB_VM_IMAGE failed"; }
  rm -rf "$context"
}

save_python_base() {
  local archive="$LAB_CACHE_DIR/images/python-base.tar" id_file="$LAB_CACHE_DIR/images/python-base.id"
  local id
  id=$(docker image inspect -f '{{.Id}}' "$PYTHON_BASE")
  if [ -f "$archive" ] && [ "$(cat "$id_file" 2>/dev/null)" = "$id" ]; then
    return
  fi
  say "Saving $PYTHON_BASE to $archive for engines that cannot pull it"
  docker save -o "$archive" "$PYTHON_BASE"
  printf '%s\n' "$id" >"$id_file"
}

write_lab_vars() {
  cat >"$LAB_CACHE_DIR/lab-vars.yml" <<VARS
---
# Written by scripts/build-images.sh: what this machine could provide.
lab_vm_image: "$LAB_VM_IMAGE"
lab_vm_distro: "$DISTRO"
lab_scenarios_base_image: "$PYTHON_BASE"
lab_scenarios_base_image_archive: "$LAB_CACHE_DIR/images/python-base.tar"
VARS
}

choose_distro
build_lab_vm_image
choose_python_base
save_python_base
write_lab_vars
say "Images ready: lab VM $LAB_VM_IMAGE, apps FROM $PYTHON_BASE"

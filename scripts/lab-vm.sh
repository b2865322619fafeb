#!/usr/bin/env bash
# Starts, shows or removes the lab VM: a systemd container standing in for an
# Ubuntu 22.04 server. It gets named capabilities, never --privileged.
#   scripts/lab-vm.sh up | summary | down
set -euo pipefail
REPO_ROOT=$(cd "$(dirname "$0")/.." && pwd)
. "$REPO_ROOT/scripts/lib.sh"

: "${LAB_VM_NAME:=devopslab-vm}"
: "${LAB_VM_NETWORK:=devopslab-lab}"
: "${LAB_VM_VOLUME:=${LAB_VM_NAME}-docker}"
: "${LAB_VM_BOOT_TIMEOUT:=60}"
LAB_HOST_VARS="$REPO_ROOT/inventory/host_vars/lab-vm/generated.yml"

lab_vm_image() {
  local vars="$LAB_CACHE_DIR/lab-vars.yml"
  [ -f "$vars" ] || die "no $vars: run scripts/build-images.sh (or make lab) first"
  sed -nE 's/^lab_vm_image: "(.*)"$/\1/p' "$vars"
}

vm_state() {
  local state
  state=$(docker container inspect -f '{{.State.Status}}' "$LAB_VM_NAME" 2>/dev/null | tr -d '[:space:]')
  printf '%s\n' "${state:-absent}"
}

wait_for_systemd() {
  local state
  for _ in $(seq 1 "$LAB_VM_BOOT_TIMEOUT"); do
    state=$(docker exec "$LAB_VM_NAME" systemctl is-system-running 2>/dev/null || true)
    case "$state" in
      running|degraded) say "Lab VM $LAB_VM_NAME is up (systemd: $state)"; return ;;
    esac
    sleep 1
  done
  die "systemd in $LAB_VM_NAME did not finish booting in ${LAB_VM_BOOT_TIMEOUT}s (last state: ${state:-none})"
}

up() {
  local image
  image=$(lab_vm_image)
  docker network inspect "$LAB_VM_NETWORK" >/dev/null 2>&1 \
    || docker network create "$LAB_VM_NETWORK" >/dev/null
  case "$(vm_state)" in
    running) say "Reusing the running lab VM $LAB_VM_NAME" ;;
    absent)
      say "Starting lab VM $LAB_VM_NAME from $image"
      docker run -d --name "$LAB_VM_NAME" --hostname "$LAB_VM_NAME" \
        --network "$LAB_VM_NETWORK" \
        --cap-add SYS_ADMIN --cap-add NET_ADMIN --cap-add SYS_PTRACE \
        --security-opt seccomp=unconfined --security-opt apparmor=unconfined \
        --security-opt systempaths=unconfined \
        --cgroupns=host -v /sys/fs/cgroup:/sys/fs/cgroup:rw \
        -v "$LAB_VM_VOLUME:/var/lib/docker" \
        --tmpfs /run --tmpfs /run/lock \
        "$image" >/dev/null ;;
    *) say "Starting the stopped lab VM $LAB_VM_NAME"; docker start "$LAB_VM_NAME" >/dev/null ;;
  esac
  wait_for_systemd
  write_host_vars
}

# The lab VM's own variables, so a plain `ansible-playbook site.yml` (any tag) finds them:
# the images build-images.sh picked, and the subnet this machine reaches the VM from,
# which host_vars/lab-vm/main.yml lets through the VM's firewall to the front ends.
write_host_vars() {
  local subnet
  subnet=$(docker network inspect -f '{{range .IPAM.Config}}{{.Subnet}} {{end}}' "$LAB_VM_NETWORK" \
    | tr ' ' '\n' | grep -m1 -E '^[0-9.]+/[0-9]+$') \
    || die "network $LAB_VM_NETWORK has no IPv4 subnet"
  {
    printf -- '---\n# Written by scripts/lab-vm.sh up for this machine; make lab-destroy removes it.\n'
    grep -v -e '^---' -e '^#' "$LAB_CACHE_DIR/lab-vars.yml"
    printf 'lab_vm_network_subnet: "%s"\n' "$subnet"
  } >"$LAB_HOST_VARS"
}

summary() {
  local ip
  ip=$(docker inspect -f "{{(index .NetworkSettings.Networks \"$LAB_VM_NETWORK\").IPAddress}}" "$LAB_VM_NAME")
  cat <<TEXT

The lab VM is ready.
  name        $LAB_VM_NAME ($(lab_vm_image)), address $ip on network $LAB_VM_NETWORK
  a shell     docker exec -it $LAB_VM_NAME bash
  its Docker  docker exec $LAB_VM_NAME docker ps
  rerun       make lab   (or, from .venv: ansible-playbook site.yml [--tags scenario_2])
  remove it   make lab-destroy
TEXT
  if docker exec "$LAB_VM_NAME" docker ps >/dev/null 2>&1; then
    printf '\nContainers in the lab VM:\n'
    docker exec "$LAB_VM_NAME" docker ps --format '  {{.Names}}\t{{.Status}}\t{{.Ports}}'
    printf '\nFrom this machine, through the VM firewall (inventory/host_vars/lab-vm/main.yml):\n'
    local port answer
    for port in 8000 8080 80 5100 5200; do
      answer=$(python3 -c 'import sys, urllib.request
try:
    print(urllib.request.urlopen(sys.argv[1], timeout=3).status)
except Exception:
    print("none")' "http://$ip:$port/")
      case "$answer" in
        2??|3??) printf '  http://%s:%s/\tanswers (%s)\n' "$ip" "$port" "$answer" ;;
        *) printf '  http://%s:%s/\tblocked or not running\n' "$ip" "$port" ;;
      esac
    done
  fi
}

down() {
  if [ "$(vm_state)" != absent ]; then
    say "Removing the lab VM $LAB_VM_NAME"
    docker rm -f "$LAB_VM_NAME" >/dev/null
  fi
  if docker volume inspect "$LAB_VM_VOLUME" >/dev/null 2>&1; then
    say "Removing its volume $LAB_VM_VOLUME"
    docker volume rm "$LAB_VM_VOLUME" >/dev/null
  fi
  if docker network inspect "$LAB_VM_NETWORK" >/dev/null 2>&1 \
     && [ "$(docker network inspect -f '{{len .Containers}}' "$LAB_VM_NETWORK")" = 0 ]; then
    docker network rm "$LAB_VM_NETWORK" >/dev/null
  fi
  rm -f "$LAB_HOST_VARS"
}

case "${1:-}" in
  up) up ;;
  summary) summary ;;
  down) down ;;
  *) die "usage: $0 up|summary|down" ;;
esac

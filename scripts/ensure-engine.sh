#!/usr/bin/env bash
# Makes sure a Docker engine answers on this machine, installing and starting one
# on a Debian or Ubuntu host where we are root; anywhere else it says what is missing.
set -euo pipefail
REPO_ROOT=$(cd "$(dirname "$0")/.." && pwd)
. "$REPO_ROOT/scripts/lib.sh"

: "${LAB_DOCKERD_LOG:=/var/log/dockerd.log}"

if engine_answers; then
  say "Docker engine answers ($(docker version --format '{{.Server.Version}}' 2>/dev/null))"
  exit 0
fi

distro=$(. /etc/os-release 2>/dev/null && echo "${ID:-unknown}")
case "$distro" in
  debian|ubuntu) ;;
  *) die "no Docker engine answers and this is not Debian or Ubuntu ($distro): install and start Docker yourself, then rerun" ;;
esac
[ "$(id -u)" -eq 0 ] || die "no Docker engine answers; as root this script installs docker.io, otherwise start Docker (sudo systemctl start docker) and rerun"

if ! command -v dockerd >/dev/null 2>&1; then
  say "Installing docker.io from the distribution's archive"
  apt-get update -q
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q docker.io
fi

if [ "$(cat /proc/1/comm 2>/dev/null)" = systemd ]; then
  say "Starting the Docker engine with systemd"
  systemctl enable --now docker
else
  say "PID 1 is not systemd: starting dockerd in the background, log in $LAB_DOCKERD_LOG"
  nohup dockerd >>"$LAB_DOCKERD_LOG" 2>&1 &
fi

for _ in $(seq 1 60); do
  if engine_answers; then
    say "Docker engine answers ($(docker version --format '{{.Server.Version}}'))"
    exit 0
  fi
  sleep 1
done
die "the Docker engine did not answer within 60 s; see $LAB_DOCKERD_LOG"

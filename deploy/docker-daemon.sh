#!/usr/bin/env bash
# A Docker daemon for machines that have dockerd but none running (as on the
# project's CI machines; see docs/deploy.md):
#
#   DOCKER_HOST=$(deploy/docker-daemon.sh start)    # prints the socket to use
#   deploy/docker-daemon.sh stop
#
# Runs as root without iptables (containers reach each other on compose's
# network by name; builds use the host network) on the vfs storage driver,
# with its data in $LOYALTY_DOCKER_DIR (default /var/lib/loyalty-docker), so
# images built once are there for the next run.
set -euo pipefail
dir=${LOYALTY_DOCKER_DIR:-/var/lib/loyalty-docker}
socket=unix://$dir/docker.sock

running() { DOCKER_HOST=$socket docker info >/dev/null 2>&1; }

case "${1:-}" in
  start)
    if ! running; then
      [ "$(id -u)" = 0 ] || { echo "starting dockerd needs root" >&2; exit 1; }
      command -v dockerd >/dev/null || { echo "dockerd is not installed" >&2; exit 1; }
      mkdir -p "$dir"
      nohup dockerd --iptables=false --ip6tables=false --storage-driver=vfs \
        --data-root "$dir/data" --exec-root "$dir/exec" --host "$socket" \
        --pidfile "$dir/pid" >> "$dir/dockerd.log" 2>&1 &
      for _ in $(seq 1 60); do running && break; sleep 0.5; done
      running || { echo "dockerd did not start; see $dir/dockerd.log" >&2; exit 1; }
    fi
    echo "$socket";;
  stop)
    [ -f "$dir/pid" ] && kill "$(cat "$dir/pid")" 2>/dev/null || true;;
  *)
    echo "usage: $0 start|stop" >&2; exit 2;;
esac

#!/usr/bin/env bash
# Stand-ins for the official images docker-compose.yml names, built from
# Debian packages, for machines that cannot pull from a public registry.
#
#   deploy/local-images.sh            # builds only the images that cannot be pulled
#
# For each of LOYALTY_PYTHON_IMAGE (python:3.11-slim), LOYALTY_RABBITMQ_IMAGE
# (rabbitmq:3.13-management) and LOYALTY_POSTGRES_IMAGE (postgres:16): if the
# image is already there, or `docker pull` gets it, nothing is built.
# Otherwise it is made from a Debian bookworm root (debootstrap): Python 3.11
# for the first; rabbitmq-server and postgresql-15 (one root, two images that
# differ only in their entrypoint) for the others, each entrypoint honouring
# the official image's environment variables and data paths as far as
# docker-compose.yml uses them. Needs root (debootstrap, chroot) and a
# Docker daemon (DOCKER_HOST).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
mirror=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
work=$(mktemp -d /tmp/loyalty-images.XXXXXX)
trap 'rm -rf "$work"' EXIT

python_image=${LOYALTY_PYTHON_IMAGE:-python:3.11-slim}
rabbitmq_image=${LOYALTY_RABBITMQ_IMAGE:-rabbitmq:3.13-management}
postgres_image=${LOYALTY_POSTGRES_IMAGE:-postgres:16}
path='PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'

available() {
  docker image inspect "$1" >/dev/null 2>&1 && return 0
  timeout 60 docker pull -q "$1" >/dev/null 2>&1
}

# A minimal bookworm at $work/base, made once, trusting the same certificate
# authorities as this machine (downloads may go through a proxy that only
# this machine's bundle trusts).
base() {
  [ -d "$work/base" ] && return 0
  echo "debootstrap bookworm (minbase) ..."
  debootstrap --variant=minbase --include=ca-certificates bookworm "$work/base" "$mirror" \
    > "$work/debootstrap.log" 2>&1 || { tail -20 "$work/debootstrap.log"; exit 1; }
  cp /etc/ssl/certs/ca-certificates.crt "$work/base/etc/ssl/certs/ca-certificates.crt"
  # Packages must not try to start their daemons inside the chroot.
  printf '#!/bin/sh\nexit 101\n' > "$work/base/usr/sbin/policy-rc.d"
  chmod +x "$work/base/usr/sbin/policy-rc.d"
}

# root_with NAME PACKAGES...: a copy of the base with PACKAGES installed.
root_with() {
  local root=$work/$1; shift
  base
  cp -a "$work/base" "$root"
  cp /etc/resolv.conf "$root/etc/resolv.conf"
  chroot "$root" sh -c "apt-get update -qq && DEBIAN_FRONTEND=noninteractive \
    apt-get install -y -qq --no-install-recommends $* > /tmp/apt.log 2>&1" \
    || { tail -20 "$root/tmp/apt.log"; exit 1; }
  rm -rf "$root"/var/cache/apt/archives/*.deb "$root"/var/lib/apt/lists/* "$root"/tmp/* \
    "$root/usr/sbin/policy-rc.d" "$root/etc/resolv.conf"
}

# derive BASE NAME INSTRUCTIONS...: NAME is BASE with other metadata only
# (no new file-system layer: with the vfs storage driver each layer is a
# full copy).
derive() {
  local from=$1 name=$2 context=$work/derive-$RANDOM; shift 2
  mkdir -p "$context"
  { printf 'FROM %s\n' "$from"; printf '%s\n' "$@"; } > "$context/Dockerfile"
  docker build -q -t "$name" "$context" >/dev/null 2>&1
  echo "built $name from Debian packages"
}

if available "$python_image"; then
  echo "$python_image is available"
else
  echo "$python_image cannot be pulled: building a stand-in from Debian packages"
  root_with python python3.11 python3.11-venv python3-pip passwd
  rm -f "$work/python/usr/lib/python3.11/EXTERNALLY-MANAGED"
  ln -sf /usr/bin/python3.11 "$work/python/usr/local/bin/python"
  ln -sf /usr/bin/pip3 "$work/python/usr/local/bin/pip"
  tar -C "$work/python" -c . | docker import \
    -c "ENV $path LANG=C.UTF-8 PIP_CERT=/etc/ssl/certs/ca-certificates.crt SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt" \
    -c 'CMD ["python3"]' - "$python_image" >/dev/null
  echo "built $python_image from Debian packages"
fi

need_rabbitmq=true need_postgres=true
available "$rabbitmq_image" && { echo "$rabbitmq_image is available"; need_rabbitmq=false; }
available "$postgres_image" && { echo "$postgres_image is available"; need_postgres=false; }
if $need_rabbitmq || $need_postgres; then
  echo "building the broker and database stand-ins from Debian packages"
  root_with servers rabbitmq-server postgresql-15 procps
  install -m 0755 "$here/local-images/rabbitmq-entrypoint.sh" "$work/servers/usr/local/bin/rabbitmq-entrypoint.sh"
  install -m 0755 "$here/local-images/postgres-entrypoint.sh" "$work/servers/usr/local/bin/postgres-entrypoint.sh"
  tar -C "$work/servers" -c . | docker import -c "ENV $path LANG=C.UTF-8" - loyalty-local/servers:bookworm >/dev/null
  $need_rabbitmq && derive loyalty-local/servers:bookworm "$rabbitmq_image" \
    'ENV HOME=/var/lib/rabbitmq' 'EXPOSE 5672' \
    'ENTRYPOINT ["/usr/local/bin/rabbitmq-entrypoint.sh"]' 'CMD ["rabbitmq-server"]'
  $need_postgres && derive loyalty-local/servers:bookworm "$postgres_image" \
    'ENV PATH=/usr/lib/postgresql/15/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin PGDATA=/var/lib/postgresql/data' \
    'EXPOSE 5432' 'ENTRYPOINT ["/usr/local/bin/postgres-entrypoint.sh"]' 'CMD ["postgres"]'
fi

#!/bin/sh
# The official rabbitmq image's contract, as far as docker-compose.yml uses
# it: RABBITMQ_DEFAULT_USER / RABBITMQ_DEFAULT_PASS, data under
# /var/lib/rabbitmq (a volume), the node named after the hostname, the
# server in the foreground as PID 1's child.
set -e
mkdir -p /etc/rabbitmq /var/lib/rabbitmq /var/log/rabbitmq
{
  echo "listeners.tcp.default = 5672"
  echo "loopback_users = none"
  [ -n "${RABBITMQ_DEFAULT_USER:-}" ] && echo "default_user = $RABBITMQ_DEFAULT_USER"
  [ -n "${RABBITMQ_DEFAULT_PASS:-}" ] && echo "default_pass = $RABBITMQ_DEFAULT_PASS"
} > /etc/rabbitmq/rabbitmq.conf
chown -R rabbitmq:rabbitmq /var/lib/rabbitmq /var/log/rabbitmq /etc/rabbitmq
if [ "$1" = "rabbitmq-server" ]; then
  exec su rabbitmq -s /bin/sh -c "exec /usr/lib/rabbitmq/bin/rabbitmq-server"
fi
exec "$@"

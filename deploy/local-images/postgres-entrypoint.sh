#!/bin/sh
# The official postgres image's contract, as far as docker-compose.yml uses
# it: POSTGRES_USER / POSTGRES_PASSWORD / POSTGRES_DB on first start, the
# *.sql files of /docker-entrypoint-initdb.d run once, data in $PGDATA (a
# volume), `postgres ARGS...` in the foreground.
set -e
: "${POSTGRES_USER:=postgres}" "${POSTGRES_DB:=$POSTGRES_USER}"
if [ "$1" = "postgres" ]; then
  mkdir -p "$PGDATA" /var/run/postgresql
  chown -R postgres:postgres "$PGDATA" /var/run/postgresql
  chmod 0700 "$PGDATA"
  if [ ! -s "$PGDATA/PG_VERSION" ]; then
    pwfile=$(mktemp) && printf '%s' "${POSTGRES_PASSWORD:-}" > "$pwfile" && chown postgres "$pwfile"
    su postgres -c "initdb -D '$PGDATA' -U '$POSTGRES_USER' --pwfile='$pwfile' --auth-local=trust --auth-host=scram-sha-256" >/dev/null
    rm -f "$pwfile"
    echo "host all all all scram-sha-256" >> "$PGDATA/pg_hba.conf"
    # First start on the socket only, as the official image does, to create
    # the database and run the init scripts.
    su postgres -c "pg_ctl -D '$PGDATA' -o \"-c listen_addresses=''\" -w start" >/dev/null
    if [ "$POSTGRES_DB" != "postgres" ]; then
      su postgres -c "psql -v ON_ERROR_STOP=1 -U '$POSTGRES_USER' -d postgres -c 'CREATE DATABASE \"$POSTGRES_DB\"'" >/dev/null
    fi
    for script in /docker-entrypoint-initdb.d/*.sql; do
      [ -e "$script" ] && su postgres -c "psql -v ON_ERROR_STOP=1 -U '$POSTGRES_USER' -d '$POSTGRES_DB' -f '$script'" >/dev/null
    done
    su postgres -c "pg_ctl -D '$PGDATA' -m fast -w stop" >/dev/null
  fi
  shift
  exec su postgres -c "exec postgres -D '$PGDATA' -c listen_addresses='*' $*"
fi
exec "$@"

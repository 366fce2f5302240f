# Sourced by the scripts that need a PostgreSQL database: uses the PostgreSQL that answers on
# 127.0.0.1:5432 (trust auth, user postgres); where none does, installs Debian's and starts one in a
# temporary directory on a spare port. `new_database NAME` creates a database for this run and sets
# `database_url` to it; everything made here is dropped or stopped on exit.

pgdata=""
databases=()
cleanup_postgres() {
  for d in "${databases[@]}"; do
    psql -q "$base/postgres" -c "DROP DATABASE IF EXISTS $d WITH (FORCE)" > /dev/null 2>&1 || true
  done
  if [ -n "$pgdata" ]; then
    runuser -u postgres -- "$pgbin/pg_ctl" -D "$pgdata" -m fast stop > /dev/null 2>&1 || true
    rm -rf "$pgdata"
  fi
}
trap cleanup_postgres EXIT

command -v psql > /dev/null || { apt-get update -qq && apt-get install -y -qq postgresql-client > /dev/null; }
if command -v pg_isready > /dev/null && pg_isready -q -h 127.0.0.1 -p 5432; then
  base="postgres://postgres@127.0.0.1:5432"
else
  if ! ls /usr/lib/postgresql/*/bin/initdb > /dev/null 2>&1; then
    apt-get update -qq && apt-get install -y -qq postgresql > /dev/null
  fi
  pgbin="$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)"
  pgdata="$(mktemp -d)"
  chown postgres "$pgdata"
  port=55432
  runuser -u postgres -- "$pgbin/initdb" -D "$pgdata" -A trust -U postgres > /dev/null
  runuser -u postgres -- "$pgbin/pg_ctl" -D "$pgdata" -l "$pgdata/log" -w \
    -o "-p $port -k $pgdata -c listen_addresses=127.0.0.1 -c max_connections=200" start > /dev/null
  base="postgres://postgres@127.0.0.1:$port"
fi

new_database() {
  local name="$1_$$"
  psql -q "$base/postgres" -c "CREATE DATABASE $name" > /dev/null
  databases+=("$name")
  database_url="$base/$name"
}

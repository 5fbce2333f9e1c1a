#!/usr/bin/env bash
# A throwaway PostgreSQL server on 127.0.0.1 for the tests and the benchmark: Debian's
# postgresql package, initdb in a temporary folder (as the unprivileged user `weirpg` when run
# as root, since PostgreSQL refuses root), password logins (scram-sha-256) and TLS with a
# self-signed certificate.
#   postgres.sh install         install Debian's postgresql and libpq-dev if missing
#   postgres.sh start [PORT]    start one; prints its folder and, on the last line, its URL
#   postgres.sh stop FOLDER     stop it and remove the folder
set -euo pipefail
command="${1:-}"
bin="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)"

as_server() {
  if [ "$(id -u)" = 0 ]; then runuser -u weirpg -- "$@"; else "$@"; fi
}

case "$command" in
  install)
    need=()
    for pkg in postgresql libpq-dev openssl; do dpkg -s "$pkg" >/dev/null 2>&1 || need+=("$pkg"); done
    if [ ${#need[@]} -gt 0 ]; then
      apt-get update -qq
      DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}"
    fi
    ;;
  start)
    port="${2:-54329}"
    [ -n "$bin" ] || { echo "postgres.sh: no PostgreSQL server (run: postgres.sh install)" >&2; exit 1; }
    if [ "$(id -u)" = 0 ] && ! id weirpg >/dev/null 2>&1; then useradd --system --no-create-home weirpg; fi
    folder="$(mktemp -d /tmp/weir-pg-XXXXXX)"
    chmod 755 "$folder"
    [ "$(id -u)" = 0 ] && chown weirpg "$folder"
    as_server sh -c "echo weir-test-superuser > '$folder/pw'"
    as_server "$bin/initdb" -D "$folder/data" -U postgres --pwfile="$folder/pw" --auth-local=trust --auth-host=scram-sha-256 \
      -E UTF8 --locale=C.UTF-8 >"$folder/initdb.log"
    as_server openssl req -new -x509 -days 30 -nodes -subj "/CN=127.0.0.1" -keyout "$folder/data/server.key" \
      -out "$folder/data/server.crt" >/dev/null 2>&1
    as_server chmod 600 "$folder/data/server.key"
    cat >>"$folder/data/postgresql.conf" <<CONF
listen_addresses = '127.0.0.1'
port = $port
unix_socket_directories = '$folder'
ssl = on
fsync = off
synchronous_commit = off
full_page_writes = off
max_wal_size = 4GB
shared_buffers = 256MB
CONF
    as_server "$bin/pg_ctl" -D "$folder/data" -l "$folder/server.log" -w start >/dev/null
    as_server "$bin/psql" -h "$folder" -p "$port" -U postgres -d postgres -qAt \
      -c "CREATE ROLE weir LOGIN PASSWORD 'weir-test-pw'" -c "CREATE DATABASE weir OWNER weir" >/dev/null
    echo "$folder"
    echo "postgresql://weir:weir-test-pw@127.0.0.1:$port/weir"
    ;;
  stop)
    folder="${2:?postgres.sh stop FOLDER}"
    if [ -d "$folder/data" ]; then as_server "$bin/pg_ctl" -D "$folder/data" -m fast -w stop >/dev/null 2>&1 || true; fi
    rm -rf "$folder"
    ;;
  *)
    echo "usage: postgres.sh install | start [PORT] | stop FOLDER" >&2
    exit 2
    ;;
esac

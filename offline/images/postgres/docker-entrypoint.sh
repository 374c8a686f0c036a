#!/usr/bin/env bash
# Entry point of keycloak-cluster/postgres: the part of the official postgres image's
# docker-entrypoint.sh that this project relies on.
#
#   POSTGRES_PASSWORD   required (unless POSTGRES_HOST_AUTH_METHOD=trust): the superuser's password
#   POSTGRES_USER       superuser created by initdb (default: postgres)
#   POSTGRES_DB         database created at first start (default: $POSTGRES_USER)
#   POSTGRES_INITDB_ARGS, POSTGRES_HOST_AUTH_METHOD (default: scram-sha-256)
#   VAR_FILE            read VAR from a file instead (Docker secrets), for the three above
#   /docker-entrypoint-initdb.d/*.sh|*.sql   run once, after the first initdb
#
# On first start with an empty PGDATA: initdb, `listen_addresses = '*'`, host connections
# from any address with scram-sha-256, then the database. Later starts reuse the data.
# Started as root (docker run --user root), it fixes ownership and drops to postgres.
set -Eeuo pipefail

log() { printf '%s [entrypoint] %s\n' "$(date -u '+%F %T UTC')" "$*"; }
fail() { printf 'error: %s\n' "$*" >&2; exit 1; }

# file_env VAR [DEFAULT]: VAR from $VAR or from the file named by $VAR_FILE, not both.
file_env() {
  local var="$1" fileVar="${1}_FILE" def="${2:-}"
  if [[ -n "${!var:-}" && -n "${!fileVar:-}" ]]; then
    fail "both $var and $fileVar are set (they are exclusive)"
  fi
  local val="$def"
  if [[ -n "${!var:-}" ]]; then
    val="${!var}"
  elif [[ -n "${!fileVar:-}" ]]; then
    val="$(<"${!fileVar}")"
  fi
  export "$var"="$val"
  unset "$fileVar"
}

run_as_postgres_if_root() {
  [[ "$(id -u)" == 0 ]] || return 0
  mkdir -p "$PGDATA" /var/run/postgresql
  # Only chown what is not postgres's already (a large existing cluster stays untouched).
  find "$PGDATA" \! -user postgres -exec chown postgres:postgres '{}' +
  chmod 700 "$PGDATA"
  chown postgres:postgres /var/run/postgresql
  chmod 3777 /var/run/postgresql
  exec setpriv --reuid=postgres --regid=postgres --init-groups "${BASH_SOURCE[0]}" "$@"
}

init_database() {
  file_env POSTGRES_PASSWORD
  file_env POSTGRES_USER postgres
  file_env POSTGRES_DB "$POSTGRES_USER"
  file_env POSTGRES_INITDB_ARGS
  local method="${POSTGRES_HOST_AUTH_METHOD:-scram-sha-256}"

  if [[ -z "$POSTGRES_PASSWORD" && "$method" != trust ]]; then
    fail "the database is uninitialized and POSTGRES_PASSWORD is not set.
  Set POSTGRES_PASSWORD (or POSTGRES_PASSWORD_FILE) to the superuser's password,
  or POSTGRES_HOST_AUTH_METHOD=trust to allow connections without one (never in production)."
  fi
  # Not root (Kubernetes: runAsUser), PGDATA a subdirectory of the volume: create it, as the
  # official image does; initdb wants it private.
  if [[ ! -d "$PGDATA" ]] && mkdir -p "$PGDATA" 2>/dev/null; then
    chmod 700 "$PGDATA"
  fi
  if [[ ! -w "$PGDATA" ]]; then
    fail "$PGDATA is not writable by $(id -un) (uid $(id -u)); use a named volume, or chown the directory to uid $(id -u), or start the container with --user root once"
  fi
  if [[ -n "$(ls -A "$PGDATA")" ]]; then
    fail "$PGDATA is not empty but holds no PostgreSQL cluster (no PG_VERSION): mount an empty volume, or point PGDATA at a subdirectory"
  fi

  log "initializing a new cluster in $PGDATA (superuser $POSTGRES_USER)"
  # The password goes in on stdin, never on a command line.
  local pwargs=()
  [[ -n "$POSTGRES_PASSWORD" ]] && pwargs=(--pwfile=/dev/stdin)
  # shellcheck disable=SC2086 # POSTGRES_INITDB_ARGS is a list of words, as upstream.
  initdb --pgdata="$PGDATA" --username="$POSTGRES_USER" "${pwargs[@]}" \
    --auth-local=trust --auth-host="$method" --encoding=UTF8 --locale=C.UTF-8 \
    $POSTGRES_INITDB_ARGS <<<"$POSTGRES_PASSWORD"

  printf "\n# keycloak-cluster/postgres\nlisten_addresses = '*'\n" >>"$PGDATA/postgresql.conf"
  printf '\n# keycloak-cluster/postgres: any address on the container network\nhost all all all %s\n' "$method" \
    >>"$PGDATA/pg_hba.conf"

  # A temporary server on the unix socket only, to create the database and run init scripts.
  pg_ctl --pgdata="$PGDATA" --options="-c listen_addresses='' -p 5432" --wait --silent start
  local psql=(psql -v ON_ERROR_STOP=1 --no-password --no-psqlrc --username "$POSTGRES_USER")
  if [[ "$POSTGRES_DB" != postgres ]]; then
    log "creating database $POSTGRES_DB"
    "${psql[@]}" --dbname postgres --set db="$POSTGRES_DB" <<<'CREATE DATABASE :"db";' >/dev/null
  fi
  local f
  for f in /docker-entrypoint-initdb.d/*; do
    [[ -e "$f" ]] || continue
    # shellcheck disable=SC1090 # user-supplied init scripts
    case "$f" in
      *.sh) log "running $f"; if [[ -x "$f" ]]; then "$f"; else source "$f"; fi ;;
      *.sql) log "running $f"; "${psql[@]}" --dbname "$POSTGRES_DB" -f "$f" ;;
      *.sql.gz) log "running $f"; gunzip -c "$f" | "${psql[@]}" --dbname "$POSTGRES_DB" ;;
      *) log "ignoring $f" ;;
    esac
  done
  pg_ctl --pgdata="$PGDATA" --mode=fast --wait --silent stop
  unset POSTGRES_PASSWORD
  log "PostgreSQL init process complete; ready for start up."
}

# Options alone mean "postgres with these options".
if [[ "${1:-}" == -* ]]; then
  set -- postgres "$@"
fi

if [[ "${1:-}" == postgres ]]; then
  run_as_postgres_if_root "$@"
  if [[ ! -s "$PGDATA/PG_VERSION" ]]; then
    init_database
  else
    log "PostgreSQL data found in $PGDATA; skipping initialization"
  fi
fi

exec "$@"

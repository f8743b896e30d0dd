# Sourced by .ci/run: a throwaway PostgreSQL server for the test suite.
#
# Installs PostgreSQL from Debian's packages when it is missing, creates a cluster in a
# temporary folder, starts it listening on 127.0.0.1 only, creates the test database and
# exports LINK_TEST_POSTGRES_URL. `stop_postgres` stops the server and removes the folder.
#
# The server allows prepared transactions (`max_prepared_transactions`, 0 by default):
# deletes and restores across PostgreSQL databases commit in two phases.

pg_bin() {
    local dir
    for dir in /usr/lib/postgresql/*/bin; do
        [ -x "$dir/initdb" ] && { echo "$dir"; return; }
    done
}

as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo -n "$@"; fi; }

install_postgres() {
    # The server only: the tests build libpq from source (pq-sys's bundled feature).
    if [ -z "$(pg_bin)" ]; then
        DEBIAN_FRONTEND=noninteractive as_root apt-get update -q
        DEBIAN_FRONTEND=noninteractive as_root apt-get install -yq --no-install-recommends \
            postgresql
        # Debian's package may start a cluster of its own: the tests use theirs.
        local version
        version="$(basename "$(dirname "$(pg_bin)")")"
        as_root pg_ctlcluster "$version" main stop 2>/dev/null || true
    fi
}

start_postgres() {
    local bin port
    bin="$(pg_bin)"
    port="${LINK_PG_PORT:-54329}"
    # The first free port from there: another server may hold it.
    while (: <"/dev/tcp/127.0.0.1/$port") 2>/dev/null; do port=$((port + 1)); done
    PG_DIR="$(mktemp -d "${TMPDIR:-/tmp}/links-pg.XXXXXX")"
    # initdb refuses to run as root: the cluster then belongs to the `postgres` user that
    # Debian's package creates.
    local run=()
    if [ "$(id -u)" -eq 0 ]; then
        chown postgres: "$PG_DIR"
        run=(runuser -u postgres --)
    fi
    PG_RUN=("${run[@]}")
    "${run[@]}" "$bin/initdb" -D "$PG_DIR/data" -U postgres -A trust -E UTF8 --no-sync >/dev/null
    "${run[@]}" "$bin/pg_ctl" -D "$PG_DIR/data" -l "$PG_DIR/server.log" -w start -o \
        "-c listen_addresses=127.0.0.1 -p $port -c unix_socket_directories=$PG_DIR -c fsync=off -c max_connections=200 -c max_prepared_transactions=64"
    PG_CTL="$bin/pg_ctl"
    "${run[@]}" "$bin/createdb" -h 127.0.0.1 -p "$port" -U postgres links_test
    export LINK_TEST_POSTGRES_URL="postgres://postgres@127.0.0.1:$port/links_test"
}

stop_postgres() {
    if [ -n "${PG_DIR:-}" ]; then
        "${PG_RUN[@]}" "$PG_CTL" -D "$PG_DIR/data" -m fast -w stop >/dev/null || true
        rm -rf "$PG_DIR"
        PG_DIR=
    fi
}

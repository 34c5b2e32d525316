#!/usr/bin/env bash
# The whole suite, as `make test` runs it: ruff, then pytest on SQLite, then pytest on PostgreSQL in a
# fresh database that is dropped afterwards. Each pytest run starts its own Meilisearch (tests/conftest.py)
# and includes the browser tests. Usage: scripts/run_tests.sh [postgresql://user@host:port]
set -euo pipefail
cd "$(dirname "$0")/.."

PG_SERVER="${1:-postgresql://postgres@127.0.0.1:5432}"
BIN=.venv/bin

# pytest exits 5 when it collected no test: that must never count as a pass
run_pytest() {
    local label=$1 rc=0
    shift
    echo "=== pytest on ${label} ==="
    "$BIN/pytest" "$@" || rc=$?
    if [ "$rc" -eq 5 ]; then
        echo "pytest on ${label} collected no tests" >&2
        return 1
    fi
    return "$rc"
}

echo "=== ruff ==="
"$BIN/ruff" check .

# check PostgreSQL first, so a missing server fails the run before the long SQLite pass
if ! psql "$PG_SERVER/postgres" -X -q -t -c "select 1" >/dev/null 2>&1; then
    echo "PostgreSQL is unreachable at $PG_SERVER: the suite must also run on PostgreSQL" >&2
    exit 1
fi

status=0
# an empty TEST_DATABASE_URL means SQLite, whatever the caller's environment holds
TEST_DATABASE_URL= run_pytest SQLite || status=$?

database="wufei_test_$(date +%s)_$RANDOM"
drop_database() {
    psql "$PG_SERVER/postgres" -X -q -c "drop database if exists \"$database\" with (force)" >/dev/null 2>&1 || true
}
trap drop_database EXIT
# an interrupted run still drops its database: exit runs the EXIT trap
trap 'exit 130' INT
trap 'exit 143' TERM
psql "$PG_SERVER/postgres" -X -q -v ON_ERROR_STOP=1 -c "create database \"$database\"" >/dev/null
TEST_DATABASE_URL="$PG_SERVER/$database" run_pytest "PostgreSQL ($database)" || status=$?

# both runs always happen; either one failing fails the suite
exit "$status"

#!/usr/bin/env bash
# The whole suite on SQLite and on PostgreSQL (the two databases Meridian supports), and the
# date-sensitive tests again at three awkward moments. In CI (CI=true) a missing PostgreSQL,
# Redis or Chromium is a failure, never a skip.
#
# Three phases run side by side. Each pytest is mostly one process that spends much of its
# time waiting (on PostgreSQL, Chromium, subprocesses), so on CI's two cores a third process
# fills the idle time:
#   sqlite    the suite on SQLite but the browser tests, then one of the three "another day"
#             runs (SQLite)
#   postgres  the suite on PostgreSQL but the browser tests (and the tests that never touch a
#             database, which the SQLite phase runs), then the other two "another day" runs
#   browser   the browser tests (tests/browser, marked browser) on PostgreSQL, then on SQLite
# Each phase has its own data directory, pytest temporary directory, test databases, Redis
# database and log (test-artifacts/test-<phase>.log); its lines are shown as they come,
# prefixed with its name. (The browser tests use no Redis: that phase shares the others'.)
# All phases always run to the end; the script fails if any does, and then shows the
# failures of each failed phase again, unprefixed.
set -uo pipefail
cd "$(dirname "$0")/.."
export MERIDIAN_STATIC_MANIFEST=false
data="${MERIDIAN_TEST_DATA_DIR:-$PWD/var/test}"
sqlite_redis="${MERIDIAN_TEST_REDIS_URL:-redis://127.0.0.1:6379/15}"
postgres_redis="${MERIDIAN_TEST_POSTGRES_REDIS_URL:-redis://127.0.0.1:6379/14}"
pg_url="${MERIDIAN_TEST_POSTGRES_URL:-postgres://postgres@127.0.0.1:5432/meridian}"
logs="$PWD/test-artifacts"
mkdir -p "$logs"

elapsed() { printf '%dm%02ds' $(($1 / 60)) $(($1 % 60)); }

# pytest in the current phase; records the first failure in $phase_rc and carries on. Each run
# ends with its 25 slowest tests (setup, call and teardown apart), so every log shows where a
# phase's time went.
run_pytest() {
  local rc=0 started=$SECONDS
  .venv/bin/python -m pytest --basetemp="$MERIDIAN_DATA_DIR/tmp" --durations=25 "$@" || rc=$?
  echo "-- took $(elapsed $((SECONDS - started)))"
  # 5 = no tests collected: that is a broken suite, not a pass (unless the caller chose only
  # database-free tests, which the PostgreSQL phase deselects: empty_ok=1).
  [ "$rc" -eq 5 ] && [ "${empty_ok:-0}" = 1 ] && rc=0
  if [ "$rc" -ne 0 ]; then
    echo "pytest failed with exit code $rc" >&2
    [ "$phase_rc" -ne 0 ] || phase_rc=$rc
  fi
}

# The whole SQLite run keeps its freshly migrated test database here (tests/conftest.py); the
# another-day runs start from a copy of it instead of migrating again.
template="$data/sqlite/test-template.sqlite3"
# The another-day runs (below) done by each phase, balancing the phases' lengths; without
# PostgreSQL, the browser phase does the postgres phase's.
sqlite_days=(2026-12-05T23:30:00+00:00)
postgres_days=(2027-03-28T00:40:00+00:00 2026-12-31T23:30:00+00:00)
browser_days=()

# "Another day": the date-sensitive tests again, on SQLite, with the clock at "$1".
# The suite must pass whatever today is. Each run moves the clock (it keeps ticking) to a
# Saturday night in UTC (already Sunday in Asia), the night Europe's clocks go forward, or
# New Year's Eve; tests that depend on the date must freeze or inject their own clock.
# Every test module outside tests/browser that reads the clock (timezone.now(), date.today(),
# datetime.now(), localdate(), next_week()) is here, but for the worker-kill runs. Left out:
# the demo builds (slow), which freeze their own clocks (the roles' demo and the demo pages'
# query counts run entirely under a clock of their own); the property tests and tallies, which
# do not read the clock (they draw their instants).
another_day() {
  local at=$1 day="$MERIDIAN_DATA_DIR/test-day.sqlite3" reuse=()
  echo "== Another day: the date-sensitive tests with the clock at $at (SQLite)"
  rm -f "$day" "$day-wal" "$day-shm"
  if [ -f "$template" ]; then
    cp "$template" "$day"
    reuse=(--reuse-db)
  fi
  MERIDIAN_DATABASE_URL="" MERIDIAN_TEST_DATABASE_NAME="$day" \
    run_pytest -q --clock-at="$at" "${reuse[@]}" \
    tests/briefs tests/decisions tests/workspaces tests/accounts tests/search tests/calendars \
    tests/test_reader_zone.py tests/core/test_reader_zone_messages.py tests/core/test_moments.py \
    tests/core/test_submission.py tests/core/test_views.py tests/recordings/test_services.py \
    tests/api/test_idempotency.py tests/api/test_auth.py tests/api/test_inputs.py tests/delivery \
    tests/work tests/roles tests/handovers tests/tracking tests/dashboards tests/checkins \
    tests/notifications/test_api.py tests/notifications/test_selectors.py \
    tests/notifications/test_services.py tests/test_tenancy.py tests/webhooks/test_delivery.py \
    --ignore=tests/decisions/test_tally.py --ignore=tests/decisions/test_fairness.py \
    --ignore=tests/briefs/test_deadline_properties.py \
    --ignore=tests/decisions/test_deadline_properties.py \
    --ignore=tests/briefs/test_demo.py --ignore=tests/workspaces/test_demo.py \
    --ignore=tests/work/test_demo.py --ignore=tests/roles/test_demo.py \
    --ignore=tests/workspaces/test_demo_pages.py \
    --ignore=tests/delivery/test_simulation.py --ignore=tests/delivery/test_worker_kill.py \
    --ignore=tests/delivery/test_holding.py \
    --ignore=tests/checkins/test_simulation.py --ignore=tests/checkins/test_worker_kill.py \
    --ignore=tests/checkins/test_rules_properties.py
}

# Given test paths or options, a phase may find none of its tests among them: no failure then.
args_given=0

phase_sqlite() {
  phase_rc=0
  export MERIDIAN_DATA_DIR="$data/sqlite" MERIDIAN_TEST_REDIS_URL="$sqlite_redis"
  export MERIDIAN_DATABASE_URL=""
  mkdir -p "$MERIDIAN_DATA_DIR/static"
  echo "== SQLite (but the browser tests)"
  # A file, not an in-memory database: threaded tests (and the browser tests' live server)
  # use it from several threads at once, which cannot share one in-memory SQLite connection.
  rm -f "$MERIDIAN_DATA_DIR/test.sqlite3" "$template"
  MERIDIAN_TEST_DATABASE_NAME="$MERIDIAN_DATA_DIR/test.sqlite3" \
    MERIDIAN_TEST_DATABASE_TEMPLATE="$template" empty_ok=$args_given \
    run_pytest -m "not browser" "$@"
  local at
  for at in "${sqlite_days[@]}"; do another_day "$at"; done
  return "$phase_rc"
}

phase_postgres() {
  phase_rc=0
  export MERIDIAN_DATA_DIR="$data/postgres" MERIDIAN_TEST_REDIS_URL="$postgres_redis"
  export MERIDIAN_DATABASE_URL="$pg_url"
  mkdir -p "$MERIDIAN_DATA_DIR/static"
  echo "== PostgreSQL (but the browser tests)"
  # Tests that never touch the database (marked no_database by tests/conftest.py: pure logic,
  # the agent, settings) would only repeat the SQLite phase's work here.
  # The tests that need the server to themselves (marked server_alone, run last) wait for the
  # browser phase to be done with PostgreSQL: its writes would be open across theirs.
  MERIDIAN_TEST_POSTGRES_ALONE_AFTER="$alone_after" \
    empty_ok=$args_given run_pytest -m "not no_database and not browser" "$@"
  # By now the SQLite phase has long made its template (else this run migrates its own).
  local at
  for at in "${postgres_days[@]}"; do another_day "$at"; done
  return "$phase_rc"
}

# The browser tests, on PostgreSQL (when it answers) and then on SQLite, each in a test database
# of this phase's own (the other phases' sessions hold theirs meanwhile). By the time the
# SQLite run starts, the sqlite phase has made its template: a copy spares the migrations.
phase_browser() {
  phase_rc=0
  # Its Redis database is for the another-day runs it does without PostgreSQL (the browser
  # tests use none): the postgres phase's, which is not running then.
  export MERIDIAN_DATA_DIR="$data/browser" MERIDIAN_TEST_REDIS_URL="$postgres_redis"
  mkdir -p "$MERIDIAN_DATA_DIR/static"
  if [ "$with_postgres" = 1 ]; then
    echo "== Browser tests on PostgreSQL"
    MERIDIAN_DATABASE_URL="$pg_url" MERIDIAN_TEST_DATABASE_NAME="$pg_browser_database" empty_ok=$args_given \
      run_pytest -m "browser and not no_database" "$@"
  fi
  touch "$alone_after" # done with PostgreSQL (passed or not)
  echo "== Browser tests on SQLite"
  local db="$MERIDIAN_DATA_DIR/test.sqlite3" reuse=()
  rm -f "$db" "$db-wal" "$db-shm"
  if [ -f "$template" ]; then
    cp "$template" "$db"
    reuse=(--reuse-db)
  fi
  MERIDIAN_DATABASE_URL="" MERIDIAN_TEST_REDIS_URL="$sqlite_redis" \
    MERIDIAN_TEST_DATABASE_NAME="$db" empty_ok=$args_given \
    run_pytest -m browser "${reuse[@]}" "$@"
  local at
  for at in "${browser_days[@]}"; do another_day "$at"; done
  return "$phase_rc"
}

postgres_answers() {
  .venv/bin/python - "$pg_url" <<'PY'
import sys, psycopg
from urllib.parse import urlparse
u = urlparse(sys.argv[1])
try:
    psycopg.connect(
        host=u.hostname, port=u.port or 5432, user=u.username, password=u.password,
        dbname="postgres", connect_timeout=5,
    ).close()
except Exception as exc:
    print(f"PostgreSQL does not answer at {u.hostname}:{u.port}: {exc}", file=sys.stderr)
    sys.exit(1)
PY
}

# Start a phase in the background: live lines prefixed with its name, a log, an exit code.
start_phase() {
  local name=$1
  shift
  rm -f "$logs/test-$name.rc"
  (
    echo "$BASHPID" >"$logs/test-$name.pid"
    started=$SECONDS
    "phase_$name" "$@"
    rc=$?
    echo "== $name phase: $( [ "$rc" -eq 0 ] && echo passed || echo "FAILED ($rc)" )" \
      "in $(elapsed $((SECONDS - started)))"
    echo "$rc" >"$logs/test-$name.rc"
  ) 2>&1 | tee "$logs/test-$name.log" | sed -u "s/^/[$name] /" &
  pids+=("$!")
  phases+=("$name")
}

# Background commands of a script ignore Ctrl-C, so stop the phases' processes ourselves.
kill_tree() {
  local child
  for child in $(pgrep -P "$1"); do kill_tree "$child"; done
  kill "$1" 2>/dev/null
}
stop_phases() {
  local name
  for name in "${phases[@]}"; do
    [ -f "$logs/test-$name.pid" ] && kill_tree "$(cat "$logs/test-$name.pid")"
  done
  exit 130
}
pids=()
phases=()
trap stop_phases INT TERM
failed=0
started=$SECONDS
args_given=$(($# > 0))
with_postgres=0
# The PostgreSQL test database of the browser phase: pytest-django's own name for the
# postgres phase's (test_ and the URL's database) with _browser after it.
pg_database="${pg_url##*/}"
pg_browser_database="${MERIDIAN_TEST_POSTGRES_BROWSER_DATABASE:-test_${pg_database%%\?*}_browser}"
# No phase may start from an earlier run's template (made by older code, maybe): the sqlite
# phase makes a new one, and the others copy it only once it is there.
rm -f "$template"
# Made by the browser phase once it no longer uses PostgreSQL (see phase_postgres).
alone_after="$data/browser-done-with-postgres"
mkdir -p "$data"
rm -f "$alone_after"

if postgres_answers; then
  with_postgres=1
  start_phase postgres "$@"
elif [ "${CI:-}" = "true" ]; then
  echo "CI needs PostgreSQL for the second run of the suite." >&2
  failed=1
else
  echo "PostgreSQL is not running here: the PostgreSQL run was not done (CI always does it)." >&2
fi
# Without a PostgreSQL phase, the browser phase does its another-day runs.
[ "$with_postgres" = 1 ] || browser_days=("${postgres_days[@]}")
start_phase sqlite "$@"
start_phase browser "$@"
wait "${pids[@]}"

for name in "${phases[@]}"; do
  rc=$(cat "$logs/test-$name.rc" 2>/dev/null || echo 1)
  [ "$rc" -eq 0 ] && continue
  failed=1
  echo
  echo "==================== $name phase failed (exit $rc); whole log: test-artifacts/test-$name.log"
  # pytest's own account of what failed, or the log's end when pytest never got that far.
  if grep -qE '^=+ (FAILURES|ERRORS|short test summary info) =+$' "$logs/test-$name.log"; then
    sed -nE '/^=+ (FAILURES|ERRORS|short test summary info) =+$/,$p' "$logs/test-$name.log"
  else
    tail -n 60 "$logs/test-$name.log"
  fi
done
echo "== all phases: $( [ "$failed" -eq 0 ] && echo passed || echo FAILED ) in $(elapsed $((SECONDS - started)))"
exit "$failed"

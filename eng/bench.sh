#!/usr/bin/env bash
# Benchmarks (not part of the test command). Each verb prints a small table: the figure and its goal.
#   eng/bench.sh seed [LISTINGS]   bulk-load LISTINGS (default 1,000,000) listings + 10,000 users, build the HNSW
#                                  indexes, then recall@10 of the content index against exact search per ef_search
#   eng/bench.sh events            POST /api/events through the whole system (started like the end-to-end tests, in a
#                                  temp folder): 5,000 events/s steady (event → vector and → refreshed list p50/p99),
#                                  then a burst (events/s each pipeline applies), nothing lost, peak memory
#   eng/bench.sh recommend         the whole system on 1,000,000 listings / 100,000 users with a generated history (seeded
#                                  and trained through the CLI): recommendation p50/p99 and req/s, unfiltered (precomputed)
#                                  and filtered (from the stored list when it fills the filter, else live; a row per
#                                  filter), next to GET /api/listings/{id}; then event → refreshed list p50/p99
#                                  and the admin console's pages in Chromium (as `admin` below), each service's peak
#                                  memory; goals are ratios to the by-id read of the same run; requests go straight to
#                                  the API's port (5080, so the system must not be running), --proxy through DCP's proxy
#   eng/bench.sh admin             the same system and catalogue (seeded, not trained): each admin console page opened in
#                                  headless Chromium 5 times, time until the live page shows its data
#                                  (both verbs: --keep leaves the system's data folder, database included, for a look after;
#                                  --reuse DIR starts on such a kept folder and skips the seed, and the training, when the
#                                  catalogue, and a model, are already there)
#   eng/bench.sh als [--scales L]  ALS training time alone, 64 factors, 15 iterations, a row each for 1,000,000 generated
#                                  interactions (50,000 users × 20,000 items, goal ≤ 5 s) and 10,000,000 (500,000 ×
#                                  100,000, goal ≤ 60 s), each met or MISSED; --scales 1m times the 1M row alone
#   eng/bench.sh rank [--listings N]  no database: the learned ranker's added latency per request (features and scoring of
#                                  200 candidates, p50/p99, goal ≤ 2 ms) and the market price model's training time
#                                  (5-fold cross-validation and the final fit) on N (default 1,000,000) generated listings,
#                                  goal < 2 min (0: the ranker alone), each met or MISSED
#   eng/bench.sh api               GET /api/listings/{id} and a filtered search: p50/p99 latency and req/s, against the
#                                  API (Release build) on the seeded catalogue (runs `seed` first when it is missing)
#   eng/bench.sh import [ROWS]     a UK-dealer-shaped CSV of ROWS (default 100,000) rows uploaded through the running API
#                                  (Release) with the `import` verb, twice: first import, then the same file again with
#                                  --sync (every row matched, nothing changed); rows/s end to end, goal 100,000 rows ≤ 30 s
#   eng/bench.sh retrain           an ALS retrain on that catalogue while shoppers read listings and stored lists and post
#                                  events against the API: p50/p99 before vs during (goal p99 during ≤ 2× before, nothing
#                                  fails), then every user's vector vs a fresh fold-in; --iterations N skips the self-tuning
# The benchmarks run on their own throw-away PostgreSQL cluster under $BENCH_DIR (default /tmp/carrecommender-bench),
# started with the same settings as the AppHost's local Postgres and stopped on exit; the system need not be running.
set -euo pipefail
cd "$(dirname "$0")/.."
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1

verb="${1:-}"; shift || true
BENCH_DIR="${BENCH_DIR:-/tmp/carrecommender-bench}"
PG_BIN=/usr/lib/postgresql/15/bin
PGDATA="$BENCH_DIR/pg"
PGPORT="${BENCH_PGPORT:-55432}"
API_PORT="${BENCH_API_PORT:-5180}"
CONN="Host=127.0.0.1;Port=$PGPORT;Database=carrecommender;Username=postgres;Password=bench;Timeout=30;Command Timeout=0"
AS_PG=(); [ "$(id -u)" = 0 ] && AS_PG=(setpriv --reuid=postgres --regid=postgres --init-groups)
CLI=(dotnet run --project CarRecommender.Cli -c Release --no-launch-profile --)

log() { printf '[bench] %s\n' "$*"; }

start_postgres() {
  bash eng/install-deps.sh >/dev/null
  mkdir -p "$BENCH_DIR"; chmod 755 "$BENCH_DIR"
  if [ ! -s "$PGDATA/PG_VERSION" ]; then
    mkdir -p "$PGDATA"; [ "$(id -u)" = 0 ] && chown postgres:postgres "$PGDATA"; chmod 700 "$PGDATA"
    local pw; pw="$(mktemp)"; printf 'bench' > "$pw"; [ "$(id -u)" = 0 ] && chown postgres "$pw"
    "${AS_PG[@]}" "$PG_BIN/initdb" -D "$PGDATA" -U postgres --pwfile="$pw" --auth-host=scram-sha-256 --auth-local=trust -E UTF8 --no-locale >/dev/null
    rm -f "$pw"
  fi
  # left running by an interrupted run: stop it, so it restarts with the settings below
  "${AS_PG[@]}" "$PG_BIN/pg_ctl" -D "$PGDATA" status >/dev/null 2>&1 && "${AS_PG[@]}" "$PG_BIN/pg_ctl" -D "$PGDATA" -m fast -w stop >/dev/null
  # the AppHost's local-Postgres settings (CarRecommender.AppHost/Infrastructure/LocalPostgres.cs)
  "${AS_PG[@]}" "$PG_BIN/pg_ctl" -D "$PGDATA" -l "$PGDATA/server.log" -w start -o \
    "-p $PGPORT -c listen_addresses=127.0.0.1 -k '' -c shared_buffers=1GB -c maintenance_work_mem=2GB -c max_wal_size=8GB -c effective_cache_size=8GB -c max_connections=200 -c max_parallel_maintenance_workers=1" >/dev/null
  trap stop_all EXIT
  PGPASSWORD=bench "$PG_BIN/psql" -h 127.0.0.1 -p "$PGPORT" -U postgres -tAc "SELECT 1 FROM pg_database WHERE datname='carrecommender'" | grep -q 1 \
    || PGPASSWORD=bench "$PG_BIN/createdb" -h 127.0.0.1 -p "$PGPORT" -U postgres carrecommender
}

api_pid=""
stop_all() {
  [ -n "$api_pid" ] && kill -INT "$api_pid" 2>/dev/null && wait "$api_pid" 2>/dev/null || true
  "${AS_PG[@]}" "$PG_BIN/pg_ctl" -D "$PGDATA" -m fast -w stop >/dev/null 2>&1 || true
}

listings_in_db() {
  # two queries: a statement naming a missing table fails to plan even in a branch that would not run
  local q=(env PGPASSWORD=bench "$PG_BIN/psql" -h 127.0.0.1 -p "$PGPORT" -U postgres -d carrecommender -tAc)
  if [ "$("${q[@]}" "SELECT to_regclass('listings') IS NOT NULL")" = t ]; then "${q[@]}" "SELECT count(*) FROM listings"; else echo 0; fi
}

seed() {
  local n="${1:-1000000}"
  log "seeding $n listings into $PGDATA"
  "${CLI[@]}" seed --connection "$CONN" --listings "$n" --users 10000 --reset
  echo "goals: load ≤ 60 s for 1,000,000 listings; HNSW index build ≤ 600 s; recall@10 ≥ 0.95"
  "${CLI[@]}" bench-recall --connection "$CONN" --ef-search 40,100,200 --queries 200
}

start_api() {
  log "$(listings_in_db) listings; starting the API (Release) on :$API_PORT"
  dotnet build CarRecommender.Api -c Release -v q >/dev/null
  # no broker: accepted events wait in the outbox, which is not what these benchmarks measure
  ASPNETCORE_URLS="http://127.0.0.1:$API_PORT" ASPNETCORE_ENVIRONMENT=Production \
    ConnectionStrings__carrecommender="$CONN" ConnectionStrings__messaging="amqp://guest:guest@127.0.0.1:1/" \
    Auth__SigningKey="$(head -c 48 /dev/urandom | base64)" Auth__DemoTokens=true Seed__OnEmptyDatabase=false Logging__LogLevel__Default=Warning \
    RateLimits__Search__AnonymousPerMinute=1000000000 RateLimits__Events__PerSecond=1000000000 RateLimits__Events__Burst=1000000000 \
    dotnet CarRecommender.Api/bin/Release/net10.0/CarRecommender.Api.dll >"$BENCH_DIR/api.log" 2>&1 &
  api_pid=$!
  for _ in $(seq 1 900); do  # a pending migration may rebuild an index over the whole catalogue first
    curl -fs -m 2 "http://127.0.0.1:$API_PORT/api/listings?pageSize=1" >/dev/null 2>&1 && break
    kill -0 "$api_pid" 2>/dev/null || { cat "$BENCH_DIR/api.log"; exit 1; }
    sleep 1
  done
  curl -fs -m 2 "http://127.0.0.1:$API_PORT/api/listings?pageSize=1" >/dev/null || { log "the API did not answer within 15 minutes"; tail -20 "$BENCH_DIR/api.log"; exit 1; }
}

api() {
  if [ "$(listings_in_db)" -lt 1000000 ]; then seed 1000000; fi
  start_api
  "${CLI[@]}" bench-api --api "http://127.0.0.1:$API_PORT" --duration "${BENCH_SECONDS:-20}" --concurrency 4
}

# an ALS retrain at 1M listings while shoppers read listings and stored lists and post events (goal: nothing fails,
# p99 during ≤ 2× p99 before; then every user's vector is a fresh fold-in into the new model)
retrain() {
  if [ "$(listings_in_db)" -lt 1000000 ]; then seed 1000000; fi
  start_api
  "${CLI[@]}" bench-retrain --connection "$CONN" --api "http://127.0.0.1:$API_PORT" --concurrency 4 --baseline "${BENCH_SECONDS:-20}" "$@"
}

# a file shaped like the public UK dealer dataset (miles, no body type, leading spaces in models, tax/mpg/engineSize)
import_file() {
  local rows="$1" file="$2"
  awk -v n="$rows" 'BEGIN {
    srand(7); split("Ford: Fiesta|Ford: Focus|Ford: Kuga|VW: Golf|VW: Polo|VW: Tiguan|Vauxhall: Corsa|Vauxhall: Astra|Mercedes: C Class|BMW: 3 Series|Audi: A3|Toyota: Yaris|Skoda: Octavia|Hyundai: Tucson|Ford: Zoomster", m, "|")
    split("Manual|Manual|Automatic|Semi-Auto", t, "|"); split("Petrol|Petrol|Diesel|Hybrid", f, "|")
    print "model,year,price,transmission,mileage,fuelType,tax,mpg,engineSize,make"
    for (i = 0; i < n; i++) {
      split(m[1 + int(rand() * 15)], mm, ":"); age = int(rand() * rand() * 12); y = 2020 - age
      printf "%s,%d,%d,%s,%d,%s,%d,%.1f,%.1f,%s\n", mm[2], y, 3000 + int(rand() * 30000), t[1 + int(rand() * 4)], int((age + 0.5) * 7000 * (0.4 + rand() * 1.2)), f[1 + int(rand() * 4)], int(rand() * 58) * 10, 30 + rand() * 40, 1 + int(rand() * 21) / 10, mm[1]
    }
  }' > "$file"
}

import_bench() {
  local rows="${1:-100000}" file="$BENCH_DIR/import-uk.csv"
  # the demo admin the upload signs in as comes with a seed
  if [ "$(listings_in_db)" -eq 0 ]; then "${CLI[@]}" seed --connection "$CONN" --listings 20000 --users 200 --reset; fi
  import_file "$rows" "$file"
  start_api
  local source="bench-uk-$(date +%s)" result=()
  for run in first again; do
    local t0 t1 extra=(); [ "$run" = again ] && extra=(--sync)
    t0=$(date +%s.%N)
    "${CLI[@]}" import --file "$file" --api "http://127.0.0.1:$API_PORT" --source "$source" "${extra[@]}" | tee "$BENCH_DIR/import.log"
    t1=$(date +%s.%N)
    result+=("$(awk -v r="$rows" -v a="$t0" -v b="$t1" -v name="$run${extra[*]:+ (sync)}" 'BEGIN { s = b - a; printf "%-14s %9d rows %8.1f s %10.0f rows/s   goal ≤ 30 s per 100,000 rows (%s)", name, r, s, r / s, (s * 100000 / r <= 30 ? "met" : "missed") }')")
  done
  echo; echo "import through the API (CLI upload, end to end: read, upload, parse, stage, apply, report)"
  printf '%s\n' "${result[@]}"
}

case "$verb" in
  events) bash eng/install-deps.sh >/dev/null; exec dotnet run --project eng/CarRecommender.Bench -c Release -- events "$@" ;;
  recommend|admin) bash eng/install-deps.sh --browser >/dev/null; dotnet build CarRecommender.Cli -c Release -v q >/dev/null
             exec dotnet run --project eng/CarRecommender.Bench -c Release -- "$verb" "$@" ;;
  als)    exec "${CLI[@]}" bench-als "$@" ;;
  rank)   exec "${CLI[@]}" bench-rank "$@" ;;
  seed) start_postgres; seed "${1:-1000000}" ;;
  api)  start_postgres; api ;;
  retrain) start_postgres; retrain "$@" ;;
  import) start_postgres; import_bench "$@" ;;
  *) echo "usage: eng/bench.sh seed [LISTINGS] | api | retrain [--iterations N] | import [ROWS] | events | recommend | admin | als [--scales 1m,10m] | rank [--listings N]" >&2; exit 2 ;;
esac

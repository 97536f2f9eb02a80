#!/usr/bin/env bash
# README command 2: install what is missing, check formatting, build, and run every test (unit + end to end).
# The end-to-end tests start the whole system once (real PostgreSQL + pgvector and RabbitMQ) in a throw-away folder.
set -euo pipefail
cd "$(dirname "$0")/.."
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 ASPIRE_VERSION_CHECK_DISABLED=true

bash eng/install-deps.sh --browser
start=$(date +%s)

dotnet tool restore >/dev/null
dotnet build CarRecommender.sln -nologo -clp:ErrorsOnly
echo "[test] format check"
dotnet format CarRecommender.sln --verify-no-changes --no-restore

results=$(mktemp -d)
trap 'rm -rf "$results"' EXIT
export CARRECOMMENDER_TEST_REPORT="$results/report.txt"
set +e
dotnet test CarRecommender.sln --no-build -nologo --logger "trx" --results-directory "$results" "$@"
rc=$?
set -e

# One plain summary line over every test project, from the TRX files.
passed=0; failed=0; skipped=0
for f in "$results"/*.trx; do
  [ -f "$f" ] || continue
  counters=$(grep -o '<Counters [^>]*>' "$f")
  p=$(sed -n 's/.* passed="\([0-9]*\)".*/\1/p' <<<"$counters")
  x=$(sed -n 's/.* failed="\([0-9]*\)".*/\1/p' <<<"$counters")
  n=$(sed -n 's/.* notExecuted="\([0-9]*\)".*/\1/p' <<<"$counters")
  passed=$((passed + ${p:-0})); failed=$((failed + ${x:-0})); skipped=$((skipped + ${n:-0}))
done
# The slowest tests, from the TRX files' durations (where the 20-minute budget goes).
echo "[test] slowest tests:"
cat "$results"/*.trx 2>/dev/null | grep -o '<UnitTestResult [^>]*>' \
  | sed -n 's/.*testName="\([^"]*\)".*duration="\([0-9:.]*\)".*/\2 \1/p' | sort -r | sed -n 1,15p | cut -c1-160 | sed 's/^/  /'
[ -f "$CARRECOMMENDER_TEST_REPORT" ] && { echo "[test] measured by the reliability tests:"; sed 's/^/  /' "$CARRECOMMENDER_TEST_REPORT"; }
if [ $rc -ne 0 ] && [ -f "$results/service-logs.txt" ]; then
  echo "[test] the services' last log lines (warnings and errors):"
  grep -iE "warn|fail|error|exception|crit|DETAIL:|Process [0-9]+ waits|Process [0-9]+:" "$results/service-logs.txt" | tail -60 | cut -c1-300
fi
echo "[test] took $(( $(date +%s) - start )) s"
echo "tests: $passed passed, $failed failed, $skipped skipped"
if [ $rc -eq 0 ] && [ $passed -eq 0 ]; then echo "[test] no test ran" >&2; exit 1; fi
exit $rc

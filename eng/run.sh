#!/usr/bin/env bash
# README command 1: install what is missing, then start the whole system with the Aspire dashboard.
#   dashboard http://localhost:15080 · API http://localhost:5080 · admin http://localhost:5090
# Extra arguments go to the AppHost, e.g. --LocalInfra:Mode=Containers or --LocalInfra:DataRoot=/var/tmp/carrec.
set -euo pipefail
cd "$(dirname "$0")/.."
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
bash eng/install-deps.sh
exec dotnet run --project CarRecommender.AppHost --launch-profile http -- "$@"

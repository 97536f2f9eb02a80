#!/usr/bin/env bash
# Regenerates docs/screenshots/*.png (1440×900): runs the admin console's browser test alone against a freshly started
# system (demo data) with CARRECOMMENDER_SCREENSHOTS pointing at docs/screenshots.
set -euo pipefail
cd "$(dirname "$0")/.."
bash eng/install-deps.sh --browser
mkdir -p docs/screenshots
CARRECOMMENDER_SCREENSHOTS="$PWD/docs/screenshots" dotnet test tests/CarRecommender.EndToEnd.Tests \
  --filter "FullyQualifiedName~AdminConsoleTests" -nologo
ls -l docs/screenshots

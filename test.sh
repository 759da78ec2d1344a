#!/usr/bin/env bash
# Runs every test: unit, integration (the real stack via Aspire.Hosting.Testing), browser (Chromium).
# Results land in TestResults/ as TRX; the last line says how many passed and failed.
set -uo pipefail
cd "$(dirname "$0")"

scripts/prerequisites.sh test || exit 1
dotnet build SharedCanvas.sln -nologo -v quiet -clp:ErrorsOnly || exit 1

rm -rf TestResults
# One test project at a time (-m:1): each starts whole stacks, and a 2-core machine runs one well.
dotnet test SharedCanvas.sln --no-build --nologo -m:1 \
  --logger "trx" --logger "console;verbosity=normal" --results-directory TestResults
status=$?

scripts/count-tests.sh TestResults
exit $status

#!/usr/bin/env bash
# Runs every test: the board page's JavaScript (node's built-in runner), unit, integration (the real stack
# via Aspire.Hosting.Testing), browser (Chromium). Results land in TestResults/ (TRX, and TAP for the
# JavaScript); the last line says how many passed and failed.
set -uo pipefail
cd "$(dirname "$0")"

scripts/prerequisites.sh test || exit 1
dotnet build SharedCanvas.sln -nologo -v quiet -clp:ErrorsOnly || exit 1

rm -rf TestResults
mkdir -p TestResults
# The browser client's logic, and the fold's conformance cases that the C# unit tests run too.
node --test --test-reporter=spec --test-reporter-destination=stdout \
  --test-reporter=tap --test-reporter-destination=TestResults/client.tap tests/client/
client=$?

# One test project at a time (-m:1): each starts whole stacks, and a 2-core machine runs one well.
dotnet test SharedCanvas.sln --no-build --nologo -m:1 \
  --logger "trx" --logger "console;verbosity=normal" --results-directory TestResults
status=$?
[ "$client" -ne 0 ] && status=1

scripts/count-tests.sh TestResults
exit $status

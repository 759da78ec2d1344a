#!/usr/bin/env bash
# Prints "tests: N passed, N failed" from the TRX files (dotnet test) and TAP files (node --test) under a
# directory; exits 1 if any failed or if no result was found.
set -uo pipefail
dir="${1:-TestResults}"
passed=0
failed=0
found=0
for trx in "$dir"/*.trx; do
  [ -f "$trx" ] || continue
  found=1
  counters=$(grep -o '<Counters [^>]*>' "$trx" | head -1)
  p=$(sed -n 's/.* passed="\([0-9]*\)".*/\1/p' <<<"$counters")
  f=$(sed -n 's/.* failed="\([0-9]*\)".*/\1/p' <<<"$counters")
  e=$(sed -n 's/.* error="\([0-9]*\)".*/\1/p' <<<"$counters")
  passed=$((passed + ${p:-0}))
  failed=$((failed + ${f:-0} + ${e:-0}))
done
for tap in "$dir"/*.tap; do
  [ -f "$tap" ] || continue
  found=1
  p=$(sed -n 's/^# pass \([0-9]*\)$/\1/p' "$tap" | tail -1)
  f=$(sed -n 's/^# fail \([0-9]*\)$/\1/p' "$tap" | tail -1)
  # A run that never reached its summary (a crash) counts as a failure.
  [ -z "$p$f" ] && f=1
  passed=$((passed + ${p:-0}))
  failed=$((failed + ${f:-0}))
done
# No results at all means nothing ran: that is a failure, not a pass.
[ "$found" -eq 0 ] && failed=$((failed + 1))
echo "tests: $passed passed, $failed failed"
[ "$failed" -eq 0 ]

#!/usr/bin/env bash
# Installs what SharedCanvas needs and the machine lacks (Debian/Ubuntu). Sourced by run.sh and test.sh.
#   prerequisites.sh run    — what the stack needs: the .NET SDK, and redis-server unless Docker answers;
#                             with Database__Provider=postgres, PostgreSQL's server unless Docker answers
#   prerequisites.sh test   — also Chromium for the browser tests, and PostgreSQL (tests run on both engines)
set -euo pipefail

purpose="${1:-run}"
missing=()

if ! command -v dotnet >/dev/null 2>&1; then
  echo "The .NET 10 SDK is missing. Install it (https://dot.net/download, or Microsoft's Debian packages) and run again." >&2
  exit 1
fi

docker_answers() { command -v docker >/dev/null 2>&1 && timeout 10 docker info >/dev/null 2>&1; }

# The tests always use the machine's redis-server (they kill and restart it); a local run uses it
# unless a container engine answers (see Redis:Mode in the README).
# A Redis Cluster (Redis:Topology=cluster, and the tests' distributed topology) is always six of the machine's
# redis-server, formed with redis-cli (Debian's redis-tools, which redis-server depends on).
case "${Redis__Topology:-standalone}" in
  cluster|Cluster) wants_cluster=yes ;;
  *) wants_cluster=no ;;
esac
if ! command -v redis-server >/dev/null 2>&1 || ! command -v redis-cli >/dev/null 2>&1; then
  if [ "$purpose" = test ] || [ "$wants_cluster" = yes ] || ! docker_answers; then missing+=(redis-server redis-tools); fi
fi

# PostgreSQL's server binaries (Debian's layout, /usr/lib/postgresql/N/bin), for the tests that run the stack
# on PostgreSQL and for a local run that chooses it (see Database:Provider in the README).
has_postgres() { ls /usr/lib/postgresql/*/bin/postgres >/dev/null 2>&1; }
case "${Database__Provider:-sqlite}" in
  postgres|postgresql|Postgres|PostgreSQL) wants_postgres=yes ;;
  *) wants_postgres=no ;;
esac
if ! has_postgres; then
  if [ "$purpose" = test ] || { [ "$wants_postgres" = yes ] && ! docker_answers; }; then missing+=(postgresql); fi
fi

# The whiteboard page's front-end packages are installed by the Web project's build with npm.
if ! command -v npm >/dev/null 2>&1; then missing+=(npm); fi

if [ "$purpose" = test ] && [ -z "${CHROMIUM_PATH:-}" ] && ! command -v chromium >/dev/null 2>&1; then
  missing+=(chromium)
fi

if [ ${#missing[@]} -gt 0 ]; then
  echo "Installing: ${missing[*]}"
  sudo=""
  [ "$(id -u)" -ne 0 ] && sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

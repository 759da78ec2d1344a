#!/usr/bin/env bash
# Sets up what is missing, builds, and runs the whole SharedCanvas stack with its Aspire dashboard.
# Stop it with Ctrl+C.
set -euo pipefail
cd "$(dirname "$0")"

scripts/prerequisites.sh run
dotnet build SharedCanvas.sln -nologo -v quiet -clp:ErrorsOnly

case "${Database__Provider:-sqlite}" in
  postgres|postgresql|Postgres|PostgreSQL) databases="PostgreSQL's cluster in postgres/" ;;
  *) databases="SQLite databases web.db, realtime.db" ;;
esac
case "${Redis__Topology:-standalone}" in
  cluster|Cluster) redis="a Redis Cluster of six nodes in redis-cluster/" ;;
  *) redis="Redis append-only files in redis/" ;;
esac
cat <<TXT

  SharedCanvas is starting.
    Site:       http://localhost:5080
    Realtime:   http://localhost:5090  (WebSocket /ws/boards/{id})
    Dashboard:  http://localhost:18888 (log in with the link Aspire prints below)
    Data:       ${SharedCanvas__DataDirectory:-.data/} ($databases; $redis)

TXT
exec dotnet run --project SharedCanvas.AppHost --no-build --launch-profile http

#!/usr/bin/env bash
# Sets up what is missing, builds, and runs the whole SharedCanvas stack with its Aspire dashboard.
# Stop it with Ctrl+C.
set -euo pipefail
cd "$(dirname "$0")"

scripts/prerequisites.sh run
dotnet build SharedCanvas.sln -nologo -v quiet -clp:ErrorsOnly

cat <<'TXT'

  SharedCanvas is starting.
    Site:       http://localhost:5080
    Realtime:   http://localhost:5090  (WebSocket /ws/boards/{id})
    Dashboard:  http://localhost:18888 (log in with the link Aspire prints below)
    Data:       .data/ (SQLite databases, or PostgreSQL's cluster with Database__Provider=postgres; Redis append-only files)

TXT
exec dotnet run --project SharedCanvas.AppHost --no-build --launch-profile http

#!/usr/bin/env bash
# Fails when schema.graphql would break a client built against the last released schema
# (the newest releases/schema-X.Y.Z.graphql), by graphql-inspector's rules: a field,
# type, argument or enum value removed, a type changed, a required argument added, ….
# Additions and new descriptions pass. On a release, copy schema.graphql to
# releases/schema-X.Y.Z.graphql (see CHANGELOG.md).
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
released=$(find "$root/releases" -name 'schema-*.graphql' | sort -V | tail -n 1)
if [[ -z $released ]]; then
  echo "no released schema in releases/" >&2
  exit 1
fi

cd "$here"
npm ci --no-audit --no-fund --loglevel=error
echo "==> breaking changes from $(basename "$released") to schema.graphql"
log=$(mktemp)
if ! npx --no-install graphql-inspector diff "$released" "$root/schema.graphql" >"$log" 2>&1; then
  cat "$log"
  exit 1
fi
# Compatible, but worth a client's attention (a new enum value, say); then the verdict.
grep -E '⚠|\[success\]' "$log" || true

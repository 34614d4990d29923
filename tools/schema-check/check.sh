#!/usr/bin/env bash
# Fails when schema.graphql would break a client built against the last released schema
# (the newest releases/schema-X.Y.Z.graphql), by graphql-inspector's rules: a field,
# type, argument or enum value removed, a type changed, a required argument added, ….
# Additions and new descriptions pass. A break the next release makes on purpose is
# listed, word for word as graphql-inspector reports it, in releases/approved-breaks.txt
# (and under "Breaking" in CHANGELOG.md); any other break fails. On a release, copy
# schema.graphql to releases/schema-X.Y.Z.graphql and empty that list (see CHANGELOG.md).
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
  approved="$root/releases/approved-breaks.txt"
  # The breaks found, without the logger's prefix; then those nobody approved.
  found=$(grep '✖' "$log" | sed -E 's/^.*✖[[:space:]]+//' || true)
  unapproved=$(grep -vxF -f <(grep -v '^#' "$approved" | sed '/^$/d') <<<"$found" || true)
  if [[ -z $found || -n $unapproved ]]; then
    cat "$log"
    echo "breaking changes not in releases/approved-breaks.txt:" >&2
    echo "${unapproved:-(none found: graphql-inspector failed otherwise)}" >&2
    exit 1
  fi
  echo "approved breaking changes (releases/approved-breaks.txt):"
  echo "$found"
fi
# Compatible, but worth a client's attention (a new enum value, say); then the verdict.
grep -E '⚠|\[success\]' "$log" || true

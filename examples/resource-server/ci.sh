#!/usr/bin/env bash
# Everything CI checks for the resource-server example: install from the lock file,
# type check, and the Node tests against the server binary.
# Usage: [GRAPHQL_AUTH_BIN=path/to/graphql-auth] bash examples/resource-server/ci.sh
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
# A path given by the caller is taken from the caller's directory.
GRAPHQL_AUTH_BIN=$(realpath -m "${GRAPHQL_AUTH_BIN:-$here/../../target/debug/graphql-auth}")
export GRAPHQL_AUTH_BIN
cd "$here"

if [[ ! -x $GRAPHQL_AUTH_BIN ]]; then
  echo "no server binary at $GRAPHQL_AUTH_BIN: run cargo build first" >&2
  exit 1
fi

step() {
  local started=$SECONDS
  echo "==> $*"
  "$@"
  echo "    $* took $((SECONDS - started))s"
}

step npm ci --no-audit --no-fund
step npx tsc --noEmit
step npm test

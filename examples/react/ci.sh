#!/usr/bin/env bash
# Everything CI checks for the React kit: install, codegen, type check, build, and the
# browser tests against the server binary. Screenshots land in artifacts/.
# Usage: [GRAPHQL_AUTH_BIN=path/to/graphql-auth] bash examples/react/ci.sh
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
# A path given by the caller is taken from the caller's directory.
GRAPHQL_AUTH_BIN=$(realpath -m "${GRAPHQL_AUTH_BIN:-$here/../../target/debug/graphql-auth}")
export GRAPHQL_AUTH_BIN
export CHROMIUM_PATH=${CHROMIUM_PATH:-/usr/bin/chromium}
cd "$here"

if [[ ! -x $GRAPHQL_AUTH_BIN ]]; then
  echo "no server binary at $GRAPHQL_AUTH_BIN: run cargo build first" >&2
  exit 1
fi
if [[ ! -x $CHROMIUM_PATH ]]; then
  if [[ $(id -u) -ne 0 ]]; then
    echo "no Chromium at $CHROMIUM_PATH: apt-get install chromium (as root)" >&2
    exit 1
  fi
  echo "==> apt-get install chromium"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
fi

step() {
  local started=$SECONDS
  echo "==> $*"
  "$@"
  echo "    $* took $((SECONDS - started))s"
}

step npm ci --no-audit --no-fund
step npm run codegen
step npx tsc --noEmit
step npm run build
step npm test

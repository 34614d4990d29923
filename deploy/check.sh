#!/usr/bin/env bash
# Checks the unit file with systemd's own verifier (where systemd-analyze exists), against
# a stand-in binary and environment file so it can run on any machine, CI included.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
if ! command -v systemd-analyze >/dev/null; then
  echo "deploy/check.sh: no systemd-analyze here; skipped" >&2
  exit 0
fi
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
mkdir -p "$scratch/bin" "$scratch/etc"
printf '#!/bin/sh\n' > "$scratch/bin/graphql-auth" && chmod +x "$scratch/bin/graphql-auth"
: > "$scratch/etc/env"
sed -e "s|/usr/local/bin/graphql-auth|$scratch/bin/graphql-auth|" \
    -e "s|/etc/graphql-auth/env|$scratch/etc/env|" \
    "$here/graphql-auth.service" > "$scratch/graphql-auth.service"
# verify prints problems and exits non-zero on errors; warnings about the machine's own
# units (not ours) are not our business, so only lines naming our unit count.
output=$(systemd-analyze verify "$scratch/graphql-auth.service" 2>&1 || true)
ours=$(grep -F "graphql-auth.service" <<<"$output" || true)
if [[ -n $ours ]]; then
  echo "$ours" >&2
  exit 1
fi
echo "deploy/graphql-auth.service: systemd-analyze verify found nothing"

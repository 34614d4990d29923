#!/usr/bin/env bash
# Login latency for an unknown user, a wrong password and a locked account, side by side.
# Usage: bench/login-timing.sh [ROUNDS]
set -euo pipefail
cd "$(dirname "$0")/.."
exec cargo run --quiet --release --example login_timing -- "${1:-60}"

#!/usr/bin/env bash
# Installs what the app needs, builds it in release mode and opens the window.
# Arguments are passed to the app, so `scripts/run.sh export --out a.xlsx`
# runs the command line instead.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/install-deps.sh
cargo build --release --locked
exec target/release/devrev-accounts-export "$@"

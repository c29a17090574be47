#!/usr/bin/env bash
# Runs every test: unit and integration tests, the keyring tests against a real
# Secret Service and the GUI test that drives the built app through
# tauri-driver. Installs what is missing first. Starts a private D-Bus session
# with an unlocked gnome-keyring and a virtual X display, and stops them at the end.
#
# Extra arguments go to `cargo test`, for example `scripts/test.sh --test gui`.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/install-deps.sh --test
export PATH="$HOME/.cargo/bin:$PATH"

cargo build --locked --all-targets
exec dbus-run-session -- scripts/test-session.sh "$@"

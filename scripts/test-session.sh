#!/usr/bin/env bash
# Runs inside the private D-Bus session that scripts/test.sh starts: unlocks a
# fresh gnome-keyring, starts Xvfb, runs the tests, then stops Xvfb. The
# keyring daemon ends with the D-Bus session.
set -euo pipefail

artifacts="$PWD/test-artifacts"
mkdir -p "$artifacts"

# gnome-keyring keeps its files under XDG_DATA_HOME; a temporary home keeps
# the test keyring away from the user's own.
scratch=$(mktemp -d)
export XDG_DATA_HOME="$scratch/data" XDG_CONFIG_HOME="$scratch/config" XDG_CACHE_HOME="$scratch/cache"
mkdir -p "$XDG_DATA_HOME" "$XDG_CONFIG_HOME" "$XDG_CACHE_HOME"

# Unlocking with a password on standard input creates the login keyring,
# which becomes the default collection for new secrets.
eval "$(printf 'test-keyring-password' | gnome-keyring-daemon --unlock --components=secrets)"
export GNOME_KEYRING_CONTROL

display=":$((90 + RANDOM % 100))"
Xvfb "$display" -screen 0 1440x900x24 -nolisten tcp >"$artifacts/xvfb.log" 2>&1 &
xvfb_pid=$!

cleanup() {
  kill "$xvfb_pid" 2>/dev/null || true
  rm -rf "$scratch"
}
trap cleanup EXIT
export DISPLAY="$display"
export DEVREV_TEST_ARTIFACTS="$artifacts"
export DEVREV_TEST_SESSION=1

cargo test --locked "$@" -- --include-ignored

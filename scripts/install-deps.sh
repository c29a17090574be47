#!/usr/bin/env bash
# Installs what building, running and testing the app need on Debian or
# Ubuntu: the WebKitGTK and D-Bus development packages, a virtual display,
# a Secret Service (gnome-keyring), the WebDriver for WebKitGTK,
# LibreOffice Calc without a GUI (the workbook conversion test) and
# tauri-driver. Each part is skipped when it is already there.
set -euo pipefail

packages=(
  build-essential pkg-config curl file
  libwebkit2gtk-4.1-dev libayatana-appindicator3-dev librsvg2-dev libxdo-dev
  libssl-dev libdbus-1-dev
)
if [[ "${1:-}" == "--test" ]]; then
  packages+=(xvfb xauth dbus gnome-keyring webkit2gtk-driver libreoffice-calc-nogui)
fi

missing=()
for package in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$package")
  fi
done

if ((${#missing[@]})); then
  echo "Installing Debian packages: ${missing[*]}"
  sudo_cmd=()
  if [[ $(id -u) -ne 0 ]]; then
    sudo_cmd=(sudo)
  fi
  "${sudo_cmd[@]}" apt-get update -q
  DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -q "${missing[@]}"
fi

if ! command -v cargo >/dev/null; then
  echo "error: cargo was not found. Install Rust from https://rustup.rs and run this again." >&2
  exit 1
fi

if [[ "${1:-}" == "--test" ]] && ! command -v tauri-driver >/dev/null; then
  echo "Installing tauri-driver"
  cargo install tauri-driver --locked --version "^2"
fi

#!/usr/bin/env bash
# install-desktop-deps.sh — install what building and smoke-testing the corral
# desktop app needs on Debian/Ubuntu: GTK 3 and WebKitGTK 4.1 headers (cgo),
# pkg-config, Xvfb and xauth (a virtual display), ImageMagick's `import` (the
# screenshot), xdotool (window queries and keystrokes) and dbus-daemon (a
# private session bus for the notification check).
#
# Idempotent and fast when everything is present: the package list is checked
# with dpkg-query first and apt-get runs only for what is missing (and
# `apt-get update` only when something must be installed). Run as root, or
# with sudo available.
#
# Usage: scripts/install-desktop-deps.sh [--check]
#   --check   only report what is missing; exit 1 if anything is.
set -euo pipefail

pkgs=(
	libgtk-3-dev          # GTK 3 headers, the window toolkit Wails v2 uses on Linux
	libwebkit2gtk-4.1-dev # WebKitGTK 4.1 (libsoup3), selected by the webkit2_41 build tag
	pkg-config            # cgo finds the two above through it
	gcc                   # cgo
	xvfb                  # headless X server for the smoke test
	xauth                 # xvfb-run needs it
	imagemagick           # `import -window root` takes the screenshot
	xdotool               # finds the window and sends the quit keystroke
	dbus-daemon           # a private session bus for the notification check
)

missing=()
for p in "${pkgs[@]}"; do
	status=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
	if [[ "$status" != "install ok installed" ]]; then
		missing+=("$p")
	fi
done

if [[ ${#missing[@]} -eq 0 ]]; then
	echo "desktop deps: all ${#pkgs[@]} packages present"
	exit 0
fi
if [[ "${1:-}" == "--check" ]]; then
	echo "desktop deps: missing ${missing[*]}"
	exit 1
fi

sudo=()
if [[ $(id -u) -ne 0 ]]; then
	sudo=(sudo)
fi
echo "desktop deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
"${sudo[@]}" apt-get update -qq
"${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
echo "desktop deps: installed ${#missing[@]} packages"
